-- Sign-ons, each with a new e-mail address: wrk ... -s signon.lua URL -- PATH BODY RUN
-- BODY is the form-encoded answers and form token; the address is RUN-<thread>-<counter>@bench.example.
local path, body, run, counter = "/", "", "run", 0

function init(args)
  path, body, run = args[1], args[2], args[3]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  counter = counter + 1
  local email = string.format("%s-%d-%d%%40bench.example", run, tid, counter)
  return wrk.format("POST", path, nil, body .. "&email=" .. email)
end

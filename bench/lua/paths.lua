-- Walks a file of paths, one a line: wrk ... -s paths.lua URL -- FILE METHOD THREADS
-- Each thread takes its own share of the lines (thread t: lines t, t + THREADS, ...) and starts again
-- from its first one when it reaches the end. POST requests carry an empty form body.
local paths, next_path, method = {}, 1, "GET"

function init(args)
  method = args[2] or "GET"
  local threads, n = tonumber(args[3] or "1"), 0
  for line in io.lines(args[1]) do
    if n % threads == tid - 1 then
      table.insert(paths, line)
    end
    n = n + 1
  end
  if method == "POST" then
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
end

function request()
  local path = paths[next_path]
  next_path = next_path % #paths + 1
  return wrk.format(method, path, nil, method == "POST" and "" or nil)
end

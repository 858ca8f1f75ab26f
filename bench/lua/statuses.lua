-- Counts the answers of each HTTP status (wrk itself only counts those outside 2xx and 3xx).
statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

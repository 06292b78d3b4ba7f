-- ./evring bench's wrk script for the http benchmark: TechEmpower's plaintext load.
-- wrk <options> -s wrk_plaintext.lua http://127.0.0.1:PORT/plaintext -- DEPTH
-- With DEPTH > 1 every connection writes DEPTH requests at once and waits for their DEPTH answers (wrk's own
-- pipeline.lua); with 1 the request stays static, so wrk never calls into Lua per request. At the end one line of
-- figures for the harness (latencies in microseconds; the harness keeps them only at depth 1: with pipelining wrk
-- times a whole batch and its coordinated-omission correction, made for one request per round trip, invents samples).

wrk.headers["Accept"] = "text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7"
wrk.headers["Connection"] = "keep-alive"

init = function(args)
   local depth = tonumber(args[1]) or 1
   if depth > 1 then
      local r = {}
      for i = 1, depth do
         r[i] = wrk.format()
      end
      local batch = table.concat(r)
      request = function()
         return batch
      end
   end
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk-stats requests=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%.1f p99_us=%.1f p999_us=%.1f\n",
      summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end

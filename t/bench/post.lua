-- wrk script for t/bench/bench.sh: every request posts the same reader
-- comment, a form as a browser sends it.  The body is read from the file
-- named by BENCH_BODY (bench.sh writes it, url-encoded, from the first
-- line of comments.txt), so that the checks made with curl before the
-- measurement send exactly the same bytes.

local path = os.getenv("BENCH_BODY")
assert(path, "BENCH_BODY must name the file holding the request body")

local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.body = body
wrk.headers["Host"] = "berita.example.id"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
wrk.headers["Accept-Language"] = "id-ID,id;q=0.9,en;q=0.8"
wrk.headers["User-Agent"] =
    "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) "
    .. "Chrome/120.0 Mobile Safari/537.36"
wrk.headers["Referer"] = "https://berita.example.id/2024/06/jalan-rusak"

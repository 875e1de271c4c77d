"""Latency of `cargo-async-lint lsp`: from `didChange` to `publishDiagnostics`, over scripted
edits that make a finding appear and disappear (so the findings change each time), debounce
excluded; the server's CPU time an edit (all threads: steadier than latency on a busy machine);
then the server's memory.

usage: python3 benches/lsp_latency.py CRATE_DIR FILE [EDITS [BINARY [MODE]]]
MODE:  item   (default) add and remove an `async fn` that blocks, at the end of FILE (a new
              definition each time: the crate index is rebuilt)
       body   add and remove a blocking call in the first `async fn` of FILE (a body edit)
       helper add, once, a sync helper at the end of FILE and a call to it in the first
              `async fn` of OTHER (env BENCH_OTHER, a file of the same crate); then add and
              remove a blocking call in the helper's body: the finding comes and goes in OTHER
e.g.   cp -r ~/.cargo/registry/src/*/tokio-1.54.1 /tmp/tokio && cargo build --release &&
       python3 benches/lsp_latency.py /tmp/tokio src/sync/mutex.rs 200 target/release/cargo-async-lint
       BENCH_OTHER=src/sync/rwlock.rs python3 benches/lsp_latency.py /tmp/tokio src/sync/mutex.rs 200 target/release/cargo-async-lint helper
"""
import json,subprocess,sys,time,os,threading,queue,tempfile
root=sys.argv[1]; rel=sys.argv[2]
n=int(sys.argv[3]) if len(sys.argv)>3 else 200
binp=os.path.abspath(sys.argv[4]) if len(sys.argv)>4 else "cargo-async-lint"
mode=sys.argv[5] if len(sys.argv)>5 else "item"
cache=tempfile.mkdtemp(prefix="async-lint-lsp-bench-")
p=subprocess.Popen([binp,"lsp"],cwd=root,stdin=subprocess.PIPE,stdout=subprocess.PIPE,stderr=(open(os.environ["BENCH_STDERR"],"w") if os.environ.get("BENCH_STDERR") else subprocess.DEVNULL),env=dict(os.environ,XDG_CACHE_HOME=cache))
q=queue.Queue()
def reader():
    f=p.stdout
    while True:
        h=b""
        ln=0
        while True:
            line=f.readline()
            if not line: return
            if line in (b"\r\n",b"\n"): break
            if line.lower().startswith(b"content-length"): ln=int(line.split(b":")[1])
        body=f.read(ln); q.put((time.perf_counter(),json.loads(body)))
threading.Thread(target=reader,daemon=True).start()
def send(o):
    b=json.dumps(o).encode(); p.stdin.write(b"Content-Length: %d\r\n\r\n"%len(b)+b); p.stdin.flush()
path=os.path.realpath(os.path.join(root,rel)); uri="file://"+path
text=open(path).read()
send({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":None,"rootUri":"file://"+os.path.realpath(root),"capabilities":{}}})
while True:
    t,m=q.get()
    if m.get("id")==1: break
send({"jsonrpc":"2.0","method":"initialized","params":{}})
t0=time.perf_counter()
send({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":uri,"languageId":"rust","version":1,"text":text}}})
def wait_pub():
    while True:
        t,m=q.get()
        if m.get("method")=="textDocument/publishDiagnostics" and m["params"]["uri"]==uri and m["params"].get("version")==ver: return t,m
ver=1
# first analysis: wait until some publish or 5s quiet
first=None
try:
    while True:
        t,m=q.get(timeout=30)
        if m.get("method")=="textDocument/publishDiagnostics":
            first=t
            if m["params"]["uri"]==uri: break
except queue.Empty: pass
print("initial analysis to first publish of the file: %.0f ms"%((first-t0)*1000) if first else "no initial publish")
import re
def first_async_fn(t):
    for i,l in enumerate(t.split("\n")):
        if re.match(r"^\s*(pub(\([^)]*\))? )?async fn .*\{\s*$",l): return i
    sys.exit("no `async fn name(..) {` line in the file")
SLEEP="std::thread::sleep(std::time::Duration::from_millis(1));"
def change_at(line,text,remove=False):
    end={"line":line+1 if remove else line,"character":0}
    return {"range":{"start":{"line":line,"character":0},"end":end},"text":text}
lines=text.count("\n")
watch=uri
if mode=="body":
    at=first_async_fn(text)+1
elif mode=="helper":
    orel=os.environ["BENCH_OTHER"]; opath=os.path.realpath(os.path.join(root,orel)); ouri="file://"+opath
    otext=open(opath).read()
    send({"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":ouri,"languageId":"rust","version":1,"text":otext}}})
    mod="crate::"+rel[len("src/"):-len(".rs")].replace("/","::")
    ver+=1
    send({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":ver},"contentChanges":[change_at(lines,"pub(crate) fn __bench_helper() {\n}\n")]}})
    send({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":ouri,"version":2},"contentChanges":[change_at(first_async_fn(otext)+1,"        %s::__bench_helper();\n"%mod)]}})
    time.sleep(3)
    while not q.empty(): q.get()
    at=lines+1; watch=ouri
def cpu_ms():
    # The server's user and system time (all its threads), in ms.
    f=open("/proc/%d/stat"%p.pid).read().rsplit(")",1)[1].split()
    return (int(f[11])+int(f[12]))*1000.0/os.sysconf("SC_CLK_TCK")
lat=[]
def wait_watched():
    while True:
        t,m=q.get()
        if m.get("method")=="textDocument/publishDiagnostics" and m["params"]["uri"]==watch: return t
cpu0=cpu_ms()
for i in range(n):
    ver+=1
    if mode=="item":
        change=change_at(lines,"async fn __bench_%d() { %s }\n"%(i,SLEEP)) if i%2==0 else change_at(lines,"",True)
    else:
        change=change_at(at,"        %s\n"%SLEEP) if i%2==0 else change_at(at,"",True)
    ts=time.perf_counter()
    send({"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":uri,"version":ver},"contentChanges":[change]}})
    t=wait_watched()
    lat.append((t-ts)*1000-50)
cpu=(cpu_ms()-cpu0)/n
lat.sort()
print("%s edits %d: p50 %.1f ms, p95 %.1f ms, max %.1f ms (debounce of 50 ms excluded); server CPU %.1f ms an edit"%(mode,n,lat[len(lat)//2],lat[int(len(lat)*0.95)-1],lat[-1],cpu))
rss=open("/proc/%d/status"%p.pid).read()
print("after the edits:",[l for l in rss.splitlines() if l.startswith(("VmRSS","VmHWM"))])
time.sleep(2)
rss=open("/proc/%d/status"%p.pid).read()
print("idle 2 s later:",[l for l in rss.splitlines() if l.startswith("VmRSS")])
send({"jsonrpc":"2.0","id":99,"method":"shutdown"}); send({"jsonrpc":"2.0","method":"exit"})
p.wait(timeout=10)

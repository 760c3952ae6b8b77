# loopline sandbox bootstrap: runs inside bubblewrap as an unprivileged uid with no network.
# Protocol (stdin): one line with the byte length N of a JSON job, then N bytes of JSON:
#   {"language","code","stdin"(base64),"files"{path: base64},"fetch"[paths],
#    "limits"{"cpu_s","as_bytes","fsize_bytes","fetch_bytes"},"boundary"}
# The user's code writes straight to fds 1 and 2. When it is done, a line with the boundary and
# one JSON line follow on stderr ({}) and then on stdout ({"exit": code, "files":{path: base64},
# "errors":{path: why}}), so the caller has the whole result without waiting for the sandbox's
# teardown. The process then exits
# with the user's exit status. This file is bind-mounted read-only.
import base64, json, os, resource, sys, traceback

def read_exact(fd, n):
    chunks = []
    while n > 0:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError("job truncated")
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)

def read_job():
    header = b""
    while not header.endswith(b"\n"):
        c = os.read(0, 1)
        if not c:
            os._exit(111)  # the pool shut this sandbox down before it got a job
        header += c
    return json.loads(read_exact(0, int(header)))

def inside(path):
    full = os.path.normpath(os.path.join("/workspace", path))
    if not (full == "/workspace" or full.startswith("/workspace/")):
        raise ValueError("path escapes the workspace: " + path)
    return full

def open_inside(path):
    """Opens a file under /workspace for reading, following no symbolic link on the way: each
    directory is opened relative to the one before with O_NOFOLLOW, so a link anywhere in the
    path (not only the last part) fails with ELOOP."""
    rel = os.path.relpath(inside(path), "/workspace")
    if rel == ".":
        raise OSError("not a regular file")
    parts = rel.split("/")
    dfd = os.open("/workspace", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        for part in parts[:-1]:
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=dfd)
            except NotADirectoryError as not_dir:
                try:
                    os.readlink(part, dir_fd=dfd)  # a link to a directory reads as "not a directory" here
                except OSError:
                    raise not_dir
                raise OSError(40, "symbolic link in the path")
            os.close(dfd)
            dfd = nfd
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dfd)
    finally:
        os.close(dfd)

def snapshot():
    """Every regular file under /workspace (symbolic links are not followed): path -> (size, mtime)."""
    seen = {}
    for top, dirs, names in os.walk("/workspace", followlinks=False):
        for name in names:
            full = os.path.join(top, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            import stat
            if stat.S_ISREG(st.st_mode):
                seen[os.path.relpath(full, "/workspace")] = (st.st_size, st.st_mtime_ns)
        if len(seen) > 10000:
            break
    return seen

def main():
    job = read_job()
    limits = job.get("limits", {})
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["fsize_bytes"], limits["fsize_bytes"]))
    for path, data in job.get("files", {}).items():
        full = inside(path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(base64.b64decode(data))
    before = snapshot() if job.get("fetch_new") else None
    stdin_data = base64.b64decode(job.get("stdin", ""))
    r, w = os.pipe()
    if len(stdin_data) <= 60000:
        os.write(w, stdin_data)
        os.close(w)
    else:
        with open("/tmp/.stdin", "wb") as f:
            f.write(stdin_data)
        os.close(w)
        os.close(r)
        r = os.open("/tmp/.stdin", os.O_RDONLY)
        os.unlink("/tmp/.stdin")
    os.dup2(r, 0)
    os.close(r)
    result_fd = os.dup(1)
    os.set_inheritable(result_fd, False)
    result_err_fd = os.dup(2)
    os.set_inheritable(result_err_fd, False)
    os.chdir("/workspace")
    code = 0
    if job["language"] == "bash":
        import subprocess
        resource.setrlimit(resource.RLIMIT_AS, (limits["as_bytes"], limits["as_bytes"]))
        code = subprocess.run(["/bin/bash", "-c", job["code"]], close_fds=True).returncode
        if code < 0:
            code = 128 - code
    else:
        sys.stdin = open(0, "r", encoding="utf-8", errors="replace", closefd=False)
        sys.argv = ["main.py"]
        sys.path.insert(0, "/workspace")
        source = job["code"]
        resource.setrlimit(resource.RLIMIT_AS, (limits["as_bytes"], limits["as_bytes"]))
        try:
            exec(compile(source, "main.py", "exec"), {"__name__": "__main__", "__builtins__": __builtins__})
        except SystemExit as e:
            if e.code is None:
                code = 0
            elif isinstance(e.code, int):
                code = e.code & 0xff
            else:
                print(e.code, file=sys.stderr)
                code = 1
        except MemoryError:
            sys.stderr.write("MemoryError\n")
            code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:
        pass
    files, errors, budget = {}, {}, limits["fetch_bytes"]
    wanted = list(job.get("fetch", []))
    if before is not None:
        # Files the run created or changed, smallest first, so the byte budget returns as many as it can.
        after = snapshot()
        produced = sorted((p for p, sig in after.items() if before.get(p) != sig and p not in wanted), key=lambda p: after[p][0])
        wanted += produced[:64]
    for path in wanted:
        try:
            fd = open_inside(path)
            try:
                import stat
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError("not a regular file")
                data = os.read(fd, budget + 1)
            finally:
                os.close(fd)
            if len(data) > budget:
                raise OSError("file too large to fetch")
            budget -= len(data)
            files[path] = base64.b64encode(data).decode()
        except (OSError, ValueError) as e:
            errors[path] = "symbolic links are not followed" if getattr(e, "errno", 0) == 40 else str(e)
    # stderr's trailer tells the caller that stderr is complete too.
    for fd, text in ((result_err_fd, "{}"), (result_fd, json.dumps({"exit": code, "files": files, "errors": errors}))):
        payload = ("\n" + job["boundary"] + "\n" + text + "\n").encode()
        try:
            while payload:
                payload = payload[os.write(fd, payload):]
        except OSError:
            pass
    os._exit(code)

main()

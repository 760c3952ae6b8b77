package dev.loopline.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.loopline.common.json.Json;
import dev.loopline.common.testing.TestServer;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The adversarial suite: everything here must be contained, and the service must still run
 * code correctly after each case (checked after every test).
 */
class SandboxIsolationTest {
    static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of("LOOPLINE_SANDBOX_MAX_OUTPUT_BYTES", "65536"), p -> List.of(new SandboxModule(p)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @AfterEach
    void serviceStillHealthy() {
        JsonNode r = run(py("print('still healthy')"));
        assertEquals("Finished", r.get("run_result").get("status").asText(), r.toString());
        assertEquals("still healthy\n", r.get("run_result").get("stdout").asText());
        assertTrue(noSandboxProcessesBeyondThePool(), "no process survives its run");
    }

    static ObjectNode py(String code) {
        return Json.object().put("code", code).put("language", "python");
    }

    static JsonNode run(ObjectNode body) {
        var res = server.post("/v1/sandbox/run", body.toString());
        assertEquals(200, res.statusCode(), res.body());
        return Json.parse(res.body());
    }

    static JsonNode result(String code, double timeout) {
        return run(py(code).put("run_timeout", timeout)).get("run_result");
    }

    /**
     * Pool members are bubblewrap, its namespace init ("[bwrap]") and Python waiting for a job;
     * zombies of just-killed sandboxes hold nothing. Anything else under a sandbox uid is a leak.
     */
    static boolean noSandboxProcessesBeyondThePool() {
        try {
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> sandboxProcessesBeyondThePool().isEmpty());
            return true;
        } catch (ConditionTimeoutException e) {
            sandboxProcessesBeyondThePool().forEach(l -> System.err.println("leaked: " + l));
            return false;
        }
    }

    /** Live processes (not zombies or exiting ones) under a sandbox uid that are not pool members. */
    static List<String> sandboxProcessesBeyondThePool() {
        List<String> leaks = new ArrayList<>();
        try {
            Process ps = new ProcessBuilder("ps", "-eo", "uid=,stat=,args=").start();
            String out = new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            for (String line : out.split("\n")) {
                String[] parts = line.trim().split("\\s+", 3);
                if (parts.length < 3) {
                    continue;
                }
                int uid = Integer.parseInt(parts[0]);
                boolean gone = parts[1].startsWith("Z") || parts[1].startsWith("X");
                String args = parts[2];
                boolean poolMember = args.contains("/opt/loopline/bootstrap.py") || args.startsWith("bwrap") || args.startsWith("[bwrap]");
                if (uid >= 61000 && uid < 61100 && !gone && !poolMember) {
                    leaks.add(line);
                }
            }
            return leaks;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void runsPythonWithStdinAndFiles() {
        ObjectNode body = py("import sys\ndata = open('data/in.txt').read()\nline = sys.stdin.readline().strip()\n"
                + "open('out.txt', 'w').write(data.upper() + line)\nprint('ok', line)");
        body.put("stdin", "from stdin\nmore");
        body.putObject("files").put("data/in.txt", Base64.getEncoder().encodeToString("hello ".getBytes(StandardCharsets.UTF_8)));
        body.putArray("fetch_files").add("out.txt");
        JsonNode r = run(body);
        assertEquals("Success", r.get("status").asText(), r.toString());
        JsonNode rr = r.get("run_result");
        assertEquals("Finished", rr.get("status").asText());
        assertEquals(0, rr.get("return_code").asInt());
        assertEquals("ok from stdin\n", rr.get("stdout").asText());
        assertEquals("HELLO from stdin", new String(Base64.getDecoder().decode(r.get("files").get("out.txt").asText()), StandardCharsets.UTF_8));
        assertTrue(rr.get("execution_time").asDouble() < 5);
    }

    @Test
    void runsBashAndReportsExitCodesAndExceptions() {
        JsonNode bash = run(Json.object().put("language", "bash").put("code", "echo $((6*7)); exit 3")).get("run_result");
        assertEquals("42\n", bash.get("stdout").asText());
        assertEquals(3, bash.get("return_code").asInt());
        assertEquals("Error", bash.get("status").asText());
        JsonNode err = result("raise ValueError('boom')", 5);
        assertEquals("Error", err.get("status").asText());
        assertEquals(1, err.get("return_code").asInt());
        assertTrue(err.get("stderr").asText().contains("ValueError: boom"));
        assertEquals(0, result("import sys; sys.exit(0)", 5).get("return_code").asInt());
        assertEquals(0, result("exit()", 5).get("return_code").asInt(), "the site builtins exist");
    }

    @Test
    void forkBombIsContained() {
        JsonNode r = result("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass", 3);
        assertTrue(List.of("TimeLimitExceeded", "Error").contains(r.get("status").asText()), r.toString());
    }

    @Test
    void threadBombIsContained() {
        JsonNode r = result("import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,)).start()", 3);
        assertTrue(List.of("Error", "TimeLimitExceeded", "MemoryLimitExceeded").contains(r.get("status").asText()), r.toString());
    }

    @Test
    void memoryBombsHitTheMemoryLimit() {
        JsonNode growing = run(py("a = []\nwhile True:\n    a.append(' ' * 10**7)").put("memory_limit_MB", 256).put("run_timeout", 10)).get("run_result");
        assertEquals("MemoryLimitExceeded", growing.get("status").asText(), growing.toString());
        JsonNode huge = run(py("b = bytearray(50 * 1024**3)").put("memory_limit_MB", 256)).get("run_result");
        assertEquals("MemoryLimitExceeded", huge.get("status").asText(), huge.toString());
    }

    /**
     * The probe that broke the per-process limit: a 256 MB run forking six children of 200 MB each
     * (each under its own address-space limit) finished "Success" with 1.3 GB resident. The run is
     * capped as a whole now (its cgroup), and says so.
     */
    @Test
    void aRunsProcessesShareOneMemoryLimit() {
        JsonNode r = run(py("""
                import os, time
                kids = []
                for _ in range(6):
                    pid = os.fork()
                    if pid == 0:
                        block = b'x' * (200 * 1024 * 1024)
                        time.sleep(3)
                        os._exit(0)
                    kids.append(pid)
                print([os.waitpid(k, 0)[1] for k in kids])""").put("memory_limit_MB", 256).put("run_timeout", 20)).get("run_result");
        assertEquals("MemoryLimitExceeded", r.get("status").asText(), r.toString());
    }

    /**
     * tmpfs pages are the run's memory too: three files of 40 MB (each under the file-size cap,
     * together under the 128 MB tmpfs) written to /workspace under a 64 MB limit.
     */
    @Test
    void filesInTheWorkspaceCountAgainstTheRunsMemory() {
        JsonNode r = run(py("""
                for i in range(3):
                    with open(f'/workspace/big{i}', 'wb') as f:
                        for _ in range(40):
                            f.write(b'y' * (1024 * 1024))
                print('wrote it all')""").put("memory_limit_MB", 64).put("run_timeout", 20)).get("run_result");
        assertEquals("MemoryLimitExceeded", r.get("status").asText(), r.toString());
        assertFalse(r.get("stdout").asText().contains("wrote it all"), r.toString());
    }

    /** Calls Docker's default profile refuses fail with EPERM; ordinary Python (threads, subprocesses) is unaffected. */
    @Test
    void dangerousSystemCallsAreFiltered() {
        JsonNode r = run(py("""
                import ctypes, errno, os, subprocess, threading
                libc = ctypes.CDLL(None, use_errno=True)
                def call(nr, *args):
                    rc = libc.syscall(nr, *args)
                    return 'ok' if rc >= 0 else errno.errorcode.get(ctypes.get_errno(), '?')
                import platform
                nrs = {'x86_64': {'io_uring_setup': 425, 'keyctl': 250, 'add_key': 248, 'bpf': 321, 'unshare': 272},
                       'aarch64': {'io_uring_setup': 425, 'keyctl': 219, 'add_key': 217, 'bpf': 280, 'unshare': 97}}[platform.machine()]
                params = ctypes.create_string_buffer(120)
                print('io_uring_setup', call(nrs['io_uring_setup'], 8, params))
                print('keyctl', call(nrs['keyctl'], 0, -3, 0))
                print('add_key', call(nrs['add_key'], b'user', b'k', b'v', 1, -3))
                print('bpf', call(nrs['bpf'], 0, None, 0))
                print('unshare', call(nrs['unshare'], 0x20000000))
                print(open('/proc/self/status').read().split('Seccomp:')[1].split()[0])
                out = []
                t = threading.Thread(target=lambda: out.append(sum(range(1000))))
                t.start(); t.join()
                print(out[0], subprocess.run(['/usr/bin/python3', '-c', 'print(6*7)'], capture_output=True, text=True).stdout.strip())""")
                .put("run_timeout", 20)).get("run_result");
        assertEquals("Finished", r.get("status").asText(), r.toString());
        String out = r.get("stdout").asText();
        for (String call : List.of("io_uring_setup", "keyctl", "add_key", "bpf", "unshare")) {
            assertTrue(out.contains(call + " EPERM"), call + " must fail with EPERM: " + out);
        }
        assertTrue(out.contains("\n2\n"), "Seccomp: 2 (filter mode): " + out);
        assertTrue(out.endsWith("499500 42\n"), "threads and subprocesses still work: " + out);
    }

    @Test
    void cpuSpinAndLongSleepHitTheTimeLimit() {
        long start = System.nanoTime();
        assertEquals("TimeLimitExceeded", result("while True:\n    pass", 1).get("status").asText());
        JsonNode sleep = result("import time\nprint('before', flush=True)\ntime.sleep(100)", 1);
        assertEquals("TimeLimitExceeded", sleep.get("status").asText());
        assertEquals("before\n", sleep.get("stdout").asText(), "output before the kill is kept");
        assertTrue(sleep.get("return_code").isNull());
        assertTrue((System.nanoTime() - start) / 1e9 < 8, "killed on time");
    }

    @Test
    void outputFloodsAreCappedWithoutDeadlock() {
        JsonNode out = result("while True:\n    print('x' * 1000)", 10);
        assertEquals("OutputLimitExceeded", out.get("status").asText());
        assertTrue(out.get("stdout").asText().length() <= 65536);
        JsonNode err = result("import sys\nwhile True:\n    sys.stderr.write('e' * 1000)", 10);
        assertEquals("OutputLimitExceeded", err.get("status").asText());
        assertEquals("", err.get("stdout").asText());
    }

    @Test
    void binaryOutputIsDecodedSafely() {
        JsonNode r = result("import sys\nsys.stdout.buffer.write(bytes(range(256)))", 5);
        assertEquals("Finished", r.get("status").asText());
        assertTrue(r.get("stdout").asText().contains("\uFFFD"));
    }

    @Test
    void diskFillingIsCapped() {
        JsonNode big = result("with open('big', 'wb') as f:\n    for _ in range(10 * 1024):\n        f.write(b'0' * 1024 * 1024)", 20);
        assertEquals("Error", big.get("status").asText(), big.toString());
        assertTrue(big.get("stderr").asText().matches("(?s).*(No space left|File too large).*"), big.get("stderr").asText());
        JsonNode shm = result("with open('/dev/shm/big', 'wb') as f:\n    for _ in range(10 * 1024):\n        f.write(b'0' * 1024 * 1024)", 20);
        assertTrue(shm.get("stderr").asText().matches("(?s).*(No space left|File too large).*"), shm.toString());
        JsonNode elsewhere = result("import os\nfor p in ('/big', '/dev/big', '/opt/big', '/proc/big'):\n    try:\n        open(p, 'wb')\n        print('WROTE', p)\n"
                + "    except OSError as e:\n        print('refused', p)", 5);
        assertFalse(elsewhere.get("stdout").asText().contains("WROTE"), elsewhere.toString());
        JsonNode many = result("import os\nfor i in range(1_000_000):\n    open(f'f{i}', 'w').close()", 4);
        assertTrue(List.of("TimeLimitExceeded", "Error", "Finished").contains(many.get("status").asText()), many.toString());
    }

    @Test
    void nothingSurvivesARun() {
        JsonNode first = result("open('/tmp/marker', 'w').write('x')\nopen('/workspace/marker', 'w').write('x')\n"
                + "open('/dev/shm/marker', 'w').write('x')\nimport multiprocessing\nprint(multiprocessing.Pool(2).map(abs, [-3, -4]))", 10);
        assertEquals("[3, 4]\n", first.get("stdout").asText(), "markers written, and multiprocessing works: " + first);
        JsonNode r = result("import os\nprint([os.path.exists(p) for p in ('/tmp/marker', '/workspace/marker', '/dev/shm/marker')])", 5);
        assertEquals("[False, False, False]\n", r.get("stdout").asText());
    }

    @Test
    void daemonsDoNotOutliveTheRun() {
        JsonNode r = result("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                + "        os.execv('/usr/bin/python3', ['python3', '-c', 'import time; time.sleep(600)  # loopline-daemon-marker'])\n"
                + "    os._exit(0)\nprint('parent done')", 5);
        assertEquals("parent done\n", r.get("stdout").asText());
        assertTrue(noSandboxProcessesBeyondThePool());
    }

    @Test
    void killingEverythingOnlyKillsTheSandbox() {
        JsonNode r = result("import os\nos.kill(-1, 9)", 5);
        assertFalse(r.get("status").asText().equals("Finished"));
    }

    @Test
    void secretsAndHostFilesAreInvisible() {
        assertEquals("sk-fake-serper-key-that-must-not-leak", System.getenv("SERPER_API_KEY"), "the server has the secret");
        JsonNode r = result("import os, glob\n"
                + "env = dict(os.environ)\n"
                + "procs = ''.join(open(p, 'rb').read().decode('latin1') for p in glob.glob('/proc/*/environ') if os.access(p, os.R_OK))\n"
                + "print('SERPER' in str(env), 'sk-fake' in procs)\n"
                + "for p in ('/etc/shadow', '/etc/passwd', '/root', '/work', '/run/postgresql', '/var/run/docker.sock'):\n"
                + "    print(p, os.path.exists(p))", 5);
        assertEquals("False False\n/etc/shadow False\n/etc/passwd False\n/root False\n/work False\n/run/postgresql False\n/var/run/docker.sock False\n",
                r.get("stdout").asText(), r.toString());
    }

    @Test
    void systemDirsAreReadOnly() {
        JsonNode r = result("import os\nfor op in (lambda: open('/usr/evil', 'w'), lambda: os.remove('/bin/bash'), lambda: os.remove('/usr/bin/bash')):\n"
                + "    try:\n        op()\n        print('WROTE')\n    except OSError as e:\n        print(type(e).__name__)", 5);
        assertFalse(r.get("stdout").asText().contains("WROTE"), r.toString());
        assertEquals("42\n", run(Json.object().put("language", "bash").put("code", "echo 42")).get("run_result").get("stdout").asText());
    }

    @Test
    void thereIsNoNetwork() {
        JsonNode r = result("import socket\nfor host, port in (('127.0.0.1', " + server.port() + "), ('169.254.169.254', 80), ('1.1.1.1', 53)):\n"
                + "    s = socket.socket()\n    s.settimeout(2)\n    try:\n        s.connect((host, port))\n        print('CONNECTED', host)\n"
                + "    except OSError as e:\n        print('refused', host)\n"
                + "u = socket.socket(socket.AF_UNIX)\ntry:\n    u.connect('/run/postgresql/.s.PGSQL.5432')\n    print('CONNECTED unix')\nexcept OSError:\n    print('refused unix')", 10);
        assertFalse(r.get("stdout").asText().contains("CONNECTED"), r.toString());
        assertEquals(4, r.get("stdout").asText().split("refused").length - 1);
    }

    @Test
    void privilegeEscalationFails() {
        JsonNode r = result("import ctypes, os, subprocess, fcntl, termios\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                + "try:\n    os.setuid(0)\n    print('ROOT')\nexcept OSError:\n    print('setuid refused')\n"
                + "print('unshare', libc.unshare(0x10000000))\n"
                + "print('mount', libc.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
                + "print('ptrace host', libc.ptrace(16, " + ProcessHandle.current().pid() + ", None, None))\n"
                + "print('visible pids', len([p for p in os.listdir('/proc') if p.isdigit()]) < 10)\n"
                + "p = subprocess.run(['unshare', '-U', 'true'], capture_output=True)\nprint('nested unshare rc', p.returncode != 0)\n"
                + "try:\n    fcntl.ioctl(0, termios.TIOCSTI, b'x')\n    print('TIOCSTI worked')\nexcept OSError:\n    print('TIOCSTI refused')", 5);
        assertEquals("setuid refused\nunshare -1\nmount -1\nptrace host -1\nvisible pids True\nnested unshare rc True\nTIOCSTI refused\n", r.get("stdout").asText(), r.toString());
    }

    @Test
    void fetchFilesDoesNotFollowSymlinks() {
        ObjectNode body = py("import os\nos.symlink('/etc/passwd', 'leak')\nos.symlink('/usr/lib/os-release', 'leak2')\nopen('real.txt', 'w').write('fine')");
        body.putArray("fetch_files").add("leak").add("leak2").add("real.txt").add("missing.txt");
        JsonNode r = run(body);
        assertFalse(r.get("files").has("leak"));
        assertFalse(r.get("files").has("leak2"));
        assertEquals("ZmluZQ==", r.get("files").get("real.txt").asText());
        assertTrue(r.get("fetch_errors").get("leak2").asText().contains("symbolic links"), r.toString());
        assertTrue(r.get("fetch_errors").has("missing.txt"));
    }

    /** Nor a link in the middle of the path (the probe read /etc/passwd through 'd/passwd' with d → /etc). */
    @Test
    void fetchFilesFollowsNoLinkAnywhereInThePath() {
        ObjectNode body = py("import os\nos.symlink('/etc', 'd')\nos.makedirs('real/sub')\nopen('real/sub/f.txt', 'w').write('fine')\n"
                + "os.symlink('real', 'alias')");
        body.putArray("fetch_files").add("d/passwd").add("alias/sub/f.txt").add("real/sub/f.txt");
        JsonNode r = run(body);
        assertFalse(r.get("files").has("d/passwd"), r.toString());
        assertFalse(r.get("files").has("alias/sub/f.txt"), r.toString());
        assertEquals("ZmluZQ==", r.get("files").get("real/sub/f.txt").asText());
        assertTrue(r.get("fetch_errors").get("d/passwd").asText().contains("symbolic links"), r.toString());
    }

    @Test
    void strangeCodeIsHandled() {
        JsonNode nul = result("print(1)\u0000", 5);
        assertEquals("Error", nul.get("status").asText());
        assertTrue(nul.get("stderr").asText().contains("null bytes"), nul.toString());
        var lone = server.post("/v1/sandbox/run", "{\"code\":\"print('\\udc80')\",\"language\":\"python\"}");
        assertEquals(200, lone.statusCode(), lone.body());
        var huge = server.post("/v1/sandbox/run", py("x = 1\n".repeat(400_000)).toString());
        assertEquals(400, huge.statusCode());
        assertEquals("code", TestServer.error(huge, 400).get("param").asText());
    }

    @Test
    void limitsCannotBeRaisedAndPathsCannotEscape() {
        assertEquals("run_timeout", TestServer.error(server.post("/v1/sandbox/run", py("1").put("run_timeout", 3600).toString()), 400).get("param").asText());
        assertEquals("memory_limit_MB", TestServer.error(server.post("/v1/sandbox/run", py("1").put("memory_limit_MB", 1 << 20).toString()), 400).get("param").asText());
        ObjectNode escape = py("1");
        escape.putObject("files").put("../../etc/x", "eA==");
        assertEquals("files", TestServer.error(server.post("/v1/sandbox/run", escape.toString()), 400).get("param").asText());
        assertEquals("language", TestServer.error(server.post("/v1/sandbox/run", py("1").put("language", "cobol").toString()), 400).get("param").asText());
        TestServer.error(server.post("/v1/sandbox/run", "{\"code\":"), 400);
    }

    @Test
    void twentyRunsInParallel() throws Exception {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<JsonNode>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = i;
                futures.add(pool.submit(() -> run(py("import time\ntime.sleep(0.2)\nprint(" + n + " * 2)"))));
            }
            for (int i = 0; i < 20; i++) {
                JsonNode r = futures.get(i).get();
                assertEquals((i * 2) + "\n", r.get("run_result").get("stdout").asText(), r.toString());
            }
        }
    }
}

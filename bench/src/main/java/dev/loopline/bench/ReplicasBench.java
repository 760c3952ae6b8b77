package dev.loopline.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.loopline.sim.SimConfig;
import dev.loopline.sim.VllmSim;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Throughput of {@code /v1/responses} with one tool round (a web_search, then the answer) through
 * nginx (round robin) in front of 1, 2 and 3 all-in-one replicas on one PostgreSQL schema and
 * Redis: requests per second, p50/p99, and where the machine's CPU went (the replicas, PostgreSQL,
 * nginx, this JVM: load generator and vllm-sim), plus PostgreSQL's busy time per request
 * ({@code pg_stat_database.active_time}). On one machine the replicas share its cores, so the
 * point is that nothing serialises across replicas (throughput holds as replicas are added, no
 * lock or hot row caps it), not that it scales.
 *
 * <p>Needs PostgreSQL ({@code LOOPLINE_TEST_POSTGRES_URL}, default 127.0.0.1:5432/test as
 * postgres), Redis at 127.0.0.1:6379 ({@code -Dbench.redis}) and nginx on the PATH.
 * {@code -Dbench.concurrency} (32), {@code -Dbench.warmupSeconds} (20), {@code -Dbench.seconds} (30),
 * {@code -Dbench.replicas} ("1,2,3").
 */
final class ReplicasBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = LooplineProcess.KEY;
    private static final String BODY = """
            {"model":"loopline-sim","input":"bench one round","tools":[{"type":"web_search"}]}""";

    private ReplicasBench() {
    }

    public static void main(String[] args) throws Exception {
        int concurrency = Integer.getInteger("bench.concurrency", 32);
        int warmup = Integer.getInteger("bench.warmupSeconds", 20);
        int seconds = Integer.getInteger("bench.seconds", 30);
        String jar = System.getProperty("bench.jar", "app/target/loopline.jar");
        String pgUrl = System.getenv().getOrDefault("LOOPLINE_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
        String pgUser = System.getenv().getOrDefault("LOOPLINE_TEST_POSTGRES_USER", "postgres");
        String redis = System.getProperty("bench.redis", "redis://127.0.0.1:6379");
        String nginx = findNginx();
        List<Integer> counts = Stream.of(System.getProperty("bench.replicas", "1,2,3").split(",")).map(String::trim).map(Integer::parseInt).toList();

        System.out.printf("## /v1/responses with one web_search round through nginx, %d clients, %d s measured after %d s warm-up%n%n",
                concurrency, seconds, warmup);
        System.out.println("| replicas | req/s | p50 ms | p99 ms | errors | cores busy | CPU: replicas | PostgreSQL | nginx "
                + "| bench JVM (load + vllm-sim) | PostgreSQL busy per request |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        try (VllmSim sim = new VllmSim(SimConfig.defaults().withPort(0).withModels(List.of("loopline-sim"), 32768).instant()).start()) {
            sim.scripts().load(JSON.readTree("""
                    {"name":"one","match":"bench one round","turns":[
                      {"tool_calls":[{"name":"web_search","arguments":{"query":"capital of France"}}]},{"content":"Paris."}]}"""));
            for (int n : counts) {
                System.out.println(runWith(n, jar, sim.baseUrl(), pgUrl, pgUser, redis, nginx, concurrency, warmup, seconds));
            }
        }
        System.out.println();
        System.out.println("cores busy: CPU seconds per second used by the processes below; CPU columns: their shares of it "
                + "(utime+stime from /proc); PostgreSQL busy: pg_stat_database.active_time (all backends) per request.");
    }

    private static String runWith(int n, String jar, String upstream, String pgUrl, String pgUser, String redis, String nginx,
                                  int concurrency, int warmup, int seconds) throws Exception {
        String schema = "bench_replicas_" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
        Path dir = Files.createTempDirectory("loopline-replicas-bench");
        List<Process> replicas = new ArrayList<>();
        Process balancer = null;
        try (Connection db = DriverManager.getConnection(pgUrl, pgUser, "")) {
            db.createStatement().execute("CREATE SCHEMA " + schema);
            byte[] secretBytes = new byte[32];
            new SecureRandom().nextBytes(secretBytes);
            String secret = HexFormat.of().formatHex(secretBytes);
            List<String> servers = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                int port = StreamBench.freePort();
                ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-Xmx1g",
                        StreamBench.looplineJvmOptions(), "-jar", jar).redirectErrorStream(true).redirectOutput(dir.resolve("r" + i + ".log").toFile());
                var env = pb.environment();
                env.put("LOOPLINE_PORT", Integer.toString(port));
                env.put("LOOPLINE_DATA_DIR", dir.resolve("r" + i).toString());
                env.put("LOOPLINE_DB_URL", pgUrl + (pgUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
                env.put("LOOPLINE_DB_USER", pgUser);
                env.put("LOOPLINE_DB_POOL_SIZE", "16");
                env.put("LOOPLINE_REDIS_URL", redis);
                env.put("LOOPLINE_REDIS_PREFIX", schema + ":");
                env.put("LOOPLINE_INTERNAL_SECRET", secret);
                env.put("LOOPLINE_DEV_API_KEY", KEY);
                env.put("LOOPLINE_LLM_UPSTREAMS", upstream);
                env.put("LOOPLINE_SANDBOX", "off");
                env.put("LOOPLINE_LOG_LEVEL", "WARNING");
                env.put("LOOPLINE_LLM_MAX_IN_FLIGHT", "10000");
                replicas.add(pb.start());
                StreamBench.waitReady("http://127.0.0.1:" + port); // one after another: the first migrates the schema
                servers.add("server 127.0.0.1:" + port + ";");
            }
            int nport = StreamBench.freePort();
            Files.writeString(dir.resolve("nginx.conf"), """
                    pid %1$s/nginx.pid; error_log %1$s/nginx-error.log; worker_processes 1; events { worker_connections 4096; }
                    http {
                      access_log off;
                      upstream loopline { %2$s keepalive 64; }
                      server {
                        listen 127.0.0.1:%3$d;
                        location / { proxy_pass http://loopline; proxy_http_version 1.1; proxy_set_header Connection ""; }
                      }
                    }
                    """.formatted(dir, String.join(" ", servers), nport));
            balancer = new ProcessBuilder(nginx, "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString(), "-g", "daemon off;")
                    .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.log").toFile()).start();
            String base = "http://127.0.0.1:" + nport;
            StreamBench.waitReady(base);

            load(base, concurrency, warmup, new Latencies(), new AtomicLong());
            Thread.sleep(1500); // PostgreSQL's backends flush their statistics at most every second
            List<Long> replicaPids = replicas.stream().map(Process::pid).toList();
            long pgBusyBefore = pgActiveMillis(db);
            Cpu before = Cpu.sample(replicaPids, balancer.pid());
            Latencies lat = new Latencies();
            AtomicLong errors = new AtomicLong();
            long t0 = System.nanoTime();
            load(base, concurrency, seconds, lat, errors);
            double wall = (System.nanoTime() - t0) / 1e9;
            if (lat.count() == 0) {
                throw new IllegalStateException("no request succeeded with " + n + " replicas; logs in " + dir);
            }
            Cpu after = Cpu.sample(replicaPids, balancer.pid());
            Thread.sleep(1500);
            long pgBusy = pgActiveMillis(db) - pgBusyBefore;
            Cpu used = after.minus(before);
            double total = used.total();
            return String.format("| %d | %.0f | %.1f | %.1f | %d | %.2f of %d | %.0f%% | %.0f%% | %.0f%% | %.0f%% | %.2f ms |", n, lat.count() / wall,
                    lat.percentileMillis(50), lat.percentileMillis(99), errors.get(), total / wall,
                    Runtime.getRuntime().availableProcessors(), 100 * used.replicas / total, 100 * used.postgres / total,
                    100 * used.nginx / total, 100 * used.self / total, (double) pgBusy / Math.max(1, lat.count()));
        } finally {
            if (balancer != null) {
                balancer.destroy();
                balancer.waitFor();
            }
            for (Process p : replicas) {
                p.destroy();
            }
            for (Process p : replicas) {
                p.waitFor();
            }
            try (Connection db = DriverManager.getConnection(pgUrl, pgUser, "")) {
                db.createStatement().execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    /** {@code concurrency} clients, each sending the next request when its last is answered, for {@code seconds}. */
    private static void load(String base, int concurrency, int seconds, Latencies lat, AtomicLong errors) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/v1/responses")).header("Authorization", "Bearer " + KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < concurrency; c++) {
                clients.add(pool.submit(() -> {
                    while (System.nanoTime() < end) {
                        long t = System.nanoTime();
                        try {
                            HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
                            if (res.statusCode() == 200 && res.body().contains("\"status\":\"completed\"")) {
                                lat.add(System.nanoTime() - t);
                            } else if (errors.incrementAndGet() == 1) {
                                System.err.println("first failed request: " + res.statusCode() + " " + res.body());
                            }
                        } catch (IOException e) {
                            if (errors.incrementAndGet() == 1) {
                                System.err.println("first failed request: " + e);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : clients) {
                f.get();
            }
        }
    }

    private static long pgActiveMillis(Connection db) throws Exception {
        try (ResultSet rs = db.createStatement().executeQuery("SELECT coalesce(sum(active_time), 0) FROM pg_stat_database")) {
            rs.next();
            return (long) rs.getDouble(1);
        }
    }

    private static String findNginx() {
        for (String p : List.of("/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("the replicas bench needs nginx (apt-get install nginx)");
    }

    /** CPU seconds used so far by the replicas, PostgreSQL's processes, nginx (master and workers) and this JVM. */
    private record Cpu(double replicas, double postgres, double nginx, double self) {
        static Cpu sample(List<Long> replicaPids, long nginxPid) throws IOException {
            double r = 0;
            for (long pid : replicaPids) {
                r += seconds(pid);
            }
            double pg = 0;
            double ng = 0;
            try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
                for (Path p : procs.filter(x -> x.getFileName().toString().matches("\\d+")).toList()) {
                    long pid = Long.parseLong(p.getFileName().toString());
                    String comm = read(p.resolve("comm")).trim();
                    if (comm.equals("postgres")) {
                        pg += seconds(pid);
                    } else if (comm.equals("nginx") && (pid == nginxPid || ppid(pid) == nginxPid)) {
                        ng += seconds(pid);
                    }
                }
            }
            return new Cpu(r, pg, ng, seconds(ProcessHandle.current().pid()));
        }

        Cpu minus(Cpu o) {
            return new Cpu(replicas - o.replicas, postgres - o.postgres, nginx - o.nginx, self - o.self);
        }

        double total() {
            return replicas + postgres + nginx + self;
        }

        private static String[] stat(long pid) {
            String s = read(Path.of("/proc", Long.toString(pid), "stat"));
            int close = s.lastIndexOf(')');
            return close < 0 ? new String[0] : s.substring(close + 2).split(" ");
        }

        /** utime + stime in seconds (fields 14 and 15 of /proc/PID/stat, 11 and 12 after the command). */
        private static double seconds(long pid) {
            String[] f = stat(pid);
            return f.length < 13 ? 0 : (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        }

        private static long ppid(long pid) {
            String[] f = stat(pid);
            return f.length < 2 ? -1 : Long.parseLong(f[1]);
        }

        private static String read(Path p) {
            try {
                return Files.readString(p);
            } catch (IOException e) {
                return "";
            }
        }
    }
}

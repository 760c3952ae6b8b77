package dev.loopline.sandbox.isolation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The sandbox's system-call filter: a classic BPF program that bubblewrap installs
 * ({@code --seccomp FD}) for the sandboxed process and everything it starts. It is modelled on
 * Docker's default seccomp profile: the calls Docker's profile leaves out, or allows only with a
 * capability a sandbox never has, fail with {@code EPERM} (as in Docker), everything else is
 * allowed. That covers kernel keyrings ({@code add_key}, {@code keyctl}, {@code request_key}),
 * {@code io_uring}, {@code bpf}, {@code perf_event_open}, {@code userfaultfd}, mounting and
 * namespaces ({@code mount}, {@code unshare}, {@code setns}, the new mount API), tracing other
 * processes ({@code ptrace}, {@code process_vm_*}, {@code kcmp}), modules, {@code kexec}, clocks,
 * swap, quotas, {@code reboot} and handle-based opens. The x32 ABI's calls fail too, and a call
 * made with another architecture's numbering (32-bit x86 via {@code int 0x80} on x86-64) kills
 * the process: the list is for the native numbering only.
 *
 * <p>Programs are built for x86-64 and aarch64; on other architectures there is no filter, which
 * the service says at start-up.
 */
public final class SeccompFilter {
    /** Docker-default denials, by name; each architecture's numbers below. */
    public static final List<String> DENIED = List.of("acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
            "delete_module", "fanotify_init", "finit_module", "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms",
            "init_module", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioperm", "iopl", "kcmp", "kexec_file_load",
            "kexec_load", "keyctl", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl",
            "open_by_handle_at", "open_tree", "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
            "query_module", "quotactl", "quotactl_fd", "reboot", "request_key", "setns", "settimeofday", "swapoff", "swapon",
            "sysfs", "_sysctl", "syslog", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vhangup");

    /** Syscall numbers from the kernel's {@code unistd_64.h} (x86-64) and {@code asm-generic/unistd.h} (aarch64). */
    static final Map<String, Map<String, Integer>> NUMBERS = Map.of(
            "x86_64", Map.ofEntries(Map.entry("ptrace", 101), Map.entry("syslog", 103), Map.entry("uselib", 134), Map.entry("ustat", 136),
                    Map.entry("sysfs", 139), Map.entry("vhangup", 153), Map.entry("pivot_root", 155), Map.entry("_sysctl", 156),
                    Map.entry("acct", 163), Map.entry("settimeofday", 164), Map.entry("mount", 165), Map.entry("umount2", 166),
                    Map.entry("swapon", 167), Map.entry("swapoff", 168), Map.entry("reboot", 169), Map.entry("iopl", 172),
                    Map.entry("ioperm", 173), Map.entry("create_module", 174), Map.entry("init_module", 175), Map.entry("delete_module", 176),
                    Map.entry("get_kernel_syms", 177), Map.entry("query_module", 178), Map.entry("quotactl", 179),
                    Map.entry("nfsservctl", 180), Map.entry("lookup_dcookie", 212), Map.entry("clock_settime", 227),
                    Map.entry("kexec_load", 246), Map.entry("add_key", 248), Map.entry("request_key", 249), Map.entry("keyctl", 250),
                    Map.entry("unshare", 272), Map.entry("perf_event_open", 298), Map.entry("fanotify_init", 300),
                    Map.entry("name_to_handle_at", 303), Map.entry("open_by_handle_at", 304), Map.entry("clock_adjtime", 305),
                    Map.entry("setns", 308), Map.entry("process_vm_readv", 310), Map.entry("process_vm_writev", 311), Map.entry("kcmp", 312),
                    Map.entry("finit_module", 313), Map.entry("kexec_file_load", 320), Map.entry("bpf", 321), Map.entry("userfaultfd", 323),
                    Map.entry("io_uring_setup", 425), Map.entry("io_uring_enter", 426), Map.entry("io_uring_register", 427),
                    Map.entry("open_tree", 428), Map.entry("move_mount", 429), Map.entry("fsopen", 430), Map.entry("fsconfig", 431),
                    Map.entry("fsmount", 432), Map.entry("fspick", 433), Map.entry("mount_setattr", 442), Map.entry("quotactl_fd", 443)),
            "aarch64", Map.ofEntries(Map.entry("lookup_dcookie", 18), Map.entry("umount2", 39), Map.entry("mount", 40),
                    Map.entry("pivot_root", 41), Map.entry("nfsservctl", 42), Map.entry("vhangup", 58), Map.entry("quotactl", 60),
                    Map.entry("acct", 89), Map.entry("unshare", 97), Map.entry("kexec_load", 104), Map.entry("init_module", 105),
                    Map.entry("delete_module", 106), Map.entry("clock_settime", 112), Map.entry("syslog", 116), Map.entry("ptrace", 117),
                    Map.entry("reboot", 142), Map.entry("settimeofday", 170), Map.entry("add_key", 217), Map.entry("request_key", 218),
                    Map.entry("keyctl", 219), Map.entry("swapon", 224), Map.entry("swapoff", 225), Map.entry("perf_event_open", 241),
                    Map.entry("fanotify_init", 262), Map.entry("name_to_handle_at", 264), Map.entry("open_by_handle_at", 265),
                    Map.entry("clock_adjtime", 266), Map.entry("setns", 268), Map.entry("process_vm_readv", 270),
                    Map.entry("process_vm_writev", 271), Map.entry("kcmp", 272), Map.entry("finit_module", 273), Map.entry("bpf", 280),
                    Map.entry("userfaultfd", 282), Map.entry("kexec_file_load", 294), Map.entry("io_uring_setup", 425),
                    Map.entry("io_uring_enter", 426), Map.entry("io_uring_register", 427), Map.entry("open_tree", 428),
                    Map.entry("move_mount", 429), Map.entry("fsopen", 430), Map.entry("fsconfig", 431), Map.entry("fsmount", 432),
                    Map.entry("fspick", 433), Map.entry("mount_setattr", 442), Map.entry("quotactl_fd", 443)));

    private static final Map<String, Integer> AUDIT_ARCH = Map.of("x86_64", 0xC000003E, "aarch64", 0xC00000B7);
    private static final int X32_SYSCALL_BIT = 0x40000000;
    private static final int RET_KILL_PROCESS = 0x80000000;
    private static final int RET_ERRNO = 0x00050000;
    private static final int RET_ALLOW = 0x7fff0000;
    private static final int EPERM = 1;
    // Classic BPF opcodes.
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JGE_K = 0x35;
    private static final short RET_K = 0x06;

    private SeccompFilter() {
    }

    /** The kernel's name for this JVM's architecture, or null when no filter is built for it. */
    public static String architecture() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> null;
        };
    }

    /** The program for an architecture: {@code struct sock_filter[]} in the machine's byte order. */
    static byte[] program(String arch) {
        TreeSet<Integer> denied = new TreeSet<>();
        Map<String, Integer> numbers = NUMBERS.get(arch);
        for (String name : DENIED) {
            Integer nr = numbers.get(name);
            if (nr != null) {
                denied.add(nr);
            }
        }
        boolean x86 = arch.equals("x86_64");
        int count = 4 + (x86 ? 1 : 0) + denied.size() + 2;
        ByteBuffer b = ByteBuffer.allocate(count * 8).order(ByteOrder.nativeOrder());
        insn(b, LD_W_ABS, 0, 0, 4);                              // seccomp_data.arch
        insn(b, JEQ_K, 1, 0, AUDIT_ARCH.get(arch));
        insn(b, RET_K, 0, 0, RET_KILL_PROCESS);                  // another architecture's numbering
        insn(b, LD_W_ABS, 0, 0, 0);                              // seccomp_data.nr
        int errnoAt = count - 1;
        int index = 4;
        if (x86) {
            insn(b, JGE_K, errnoAt - index - 1, 0, X32_SYSCALL_BIT); // the x32 ABI: refused
            index++;
        }
        for (int nr : denied) {
            insn(b, JEQ_K, errnoAt - index - 1, 0, nr);
            index++;
        }
        insn(b, RET_K, 0, 0, RET_ALLOW);
        insn(b, RET_K, 0, 0, RET_ERRNO | EPERM);
        return b.array();
    }

    private static void insn(ByteBuffer b, short code, int jt, int jf, int k) {
        if (jt > 255 || jf > 255) {
            throw new IllegalStateException("a seccomp jump longer than 255 instructions");
        }
        b.putShort(code).put((byte) jt).put((byte) jf).putInt(k);
    }

    /** Writes this architecture's program to {@code dir}; null when there is none for it. */
    public static Path write(Path dir) throws IOException {
        String arch = architecture();
        if (arch == null) {
            return null;
        }
        Path file = dir.resolve("seccomp-" + arch + ".bpf");
        Files.write(file, program(arch));
        return file;
    }
}

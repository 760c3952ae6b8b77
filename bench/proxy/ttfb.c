/*
 * ttfb: time to first body byte and to the whole response, one keep-alive HTTP/1.1 connection at a
 * time, for POST requests to several targets measured in interleaved rounds (docs/benchmarks.md,
 * "Streaming through llm-proxy"). wrk only times whole responses; a streaming client cares about
 * the first event, which is what this measures (the first byte after the response headers).
 *
 * Usage: ttfb SECONDS_PER_TARGET ROUNDS BODY_FILE AUTH_HEADER PORT [PORT...]
 *   AUTH_HEADER is sent as given ("-" for none). Prints one line per target and round:
 *   "round port first_p50_us first_p99_us total_p50_us total_p99_us requests errors"
 * Handles Content-Length and chunked bodies (no trailers), which is what vLLM, nginx and loopline send,
 * and reconnects (not an error) after a response that says `Connection: close`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int connect_to(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *) &a, sizeof a) != 0) { perror("connect"); exit(2); }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp);
    int i = (int) (p / 100.0 * n);
    return v[i >= n ? n - 1 : i];
}

/* Reads one response; sets *first to the time the first body byte arrived and *closing when the
 * server said it closes the connection after it (nginx does after keepalive_requests, 1000 by
 * default). Returns the status or -1. */
static int response(int fd, double *first, int *closing) {
    static char buf[1 << 16];
    int len = 0, status = -1;
    *first = 0;
    *closing = 0;
    char *end = NULL;
    while (!end) {  /* headers */
        int n = read(fd, buf + len, sizeof buf - 1 - len);
        if (n <= 0) return -1;
        len += n;
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    sscanf(buf, "HTTP/1.1 %d", &status);
    long content_length = -1;
    int chunked = 0;
    for (char *l = buf; l < end; l = strstr(l, "\r\n") + 2) {
        if (strncasecmp(l, "content-length:", 15) == 0) content_length = atol(l + 15);
        if (strncasecmp(l, "connection:", 11) == 0 && strcasestr(l, "close") && strcasestr(l, "close") < strstr(l, "\r\n")) *closing = 1;
        if (strncasecmp(l, "transfer-encoding:", 18) == 0 && strstr(l, "chunked") && strstr(l, "chunked") < strstr(l, "\r\n")) chunked = 1;
    }
    int body = (int) (end + 4 - buf);
    memmove(buf, buf + body, len - body);
    len -= body;
    if (len > 0) *first = now_us();
    if (!chunked) {
        long have = len;
        while (have < content_length) {
            int n = read(fd, buf, sizeof buf);
            if (n <= 0) return -1;
            if (*first == 0) *first = now_us();
            have += n;
        }
        return status;
    }
    /* chunked: walk chunk by chunk, reading more whenever the buffer runs short */
    int pos = 0;
    for (;;) {
        char *crlf;
        while (!(crlf = memmem(buf + pos, len - pos, "\r\n", 2))) {
            if (pos > 0) { memmove(buf, buf + pos, len - pos); len -= pos; pos = 0; }
            int n = read(fd, buf + len, sizeof buf - len);
            if (n <= 0) return -1;
            if (*first == 0) *first = now_us();
            len += n;
        }
        long size = strtol(buf + pos, NULL, 16);
        pos = (int) (crlf + 2 - buf);
        long need = size + 2;  /* data and its CRLF (for the last chunk: the empty line) */
        while (len - pos < need) {
            if (pos > 0) { memmove(buf, buf + pos, len - pos); len -= pos; pos = 0; }
            int n = read(fd, buf + len, sizeof buf - len);
            if (n <= 0) return -1;
            if (*first == 0) *first = now_us();
            len += n;
        }
        pos += (int) need;
        if (size == 0) return status;
    }
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: ttfb SECONDS ROUNDS BODY_FILE AUTH_HEADER PORT...\n"); return 2; }
    double secs = atof(argv[1]);
    int rounds = atoi(argv[2]);
    FILE *f = fopen(argv[3], "r");
    if (!f) { perror(argv[3]); return 2; }
    static char body[1 << 16];
    size_t blen = fread(body, 1, sizeof body, f);
    fclose(f);
    const char *auth = argv[4];
    static char req[1 << 17];
    int targets = argc - 5;
    int max = 1 << 20;
    double *firsts = malloc(sizeof(double) * max), *totals = malloc(sizeof(double) * max);
    for (int r = 1; r <= rounds; r++) {
        for (int k = 0; k < targets; k++) {
            int port = atoi(argv[5 + k]);
            int rl = snprintf(req, sizeof req,
                              "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                              "%s%s%sContent-Length: %zu\r\n\r\n",
                              port, strcmp(auth, "-") ? "Authorization: " : "", strcmp(auth, "-") ? auth : "", strcmp(auth, "-") ? "\r\n" : "", blen);
            memcpy(req + rl, body, blen);
            int fd = connect_to(port), n = 0, errors = 0;
            double stop = now_us() + secs * 1e6;
            while (now_us() < stop && n < max) {
                double t0 = now_us(), first;
                int closing;
                if (write(fd, req, rl + blen) != (ssize_t) (rl + blen)) { errors++; close(fd); fd = connect_to(port); continue; }
                int status = response(fd, &first, &closing);
                double t1 = now_us();
                if (closing || status < 0) { close(fd); fd = connect_to(port); }
                if (status != 200) { errors++; continue; }
                firsts[n] = first - t0;
                totals[n] = t1 - t0;
                n++;
            }
            close(fd);
            printf("%d %d %.0f %.0f %.0f %.0f %d %d\n", r, port, pct(firsts, n, 50), pct(firsts, n, 99), pct(totals, n, 50), pct(totals, n, 99), n, errors);
            fflush(stdout);
        }
    }
    return 0;
}

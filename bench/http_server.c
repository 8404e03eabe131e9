/* A trivial HTTP/1.1 server for the HTTP driver's benchmark (bench/http-bench):
 * one epoll thread per --threads on a SO_REUSEPORT loopback listener,
 * answering every request head with "200 ok", keep-alive. Requests carry
 * no body (GET). Not a product part: the smallest server that is not the
 * bottleneck. usage: http-server PORT [THREADS] */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok";
static int port;

struct conn {
    int fd;
    size_t have;
    char buf[8192];
};

static int listener(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024)) {
        perror("http-server: bind");
        exit(2);
    }
    return fd;
}

/* Answers every complete head in c's buffer; -1 when the peer is gone. */
static int serve(struct conn *c)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
        if (n == 0 || (n < 0 && errno != EAGAIN)) return -1;
        if (n < 0) return 0;
        c->have += (size_t)n;
        char *p = c->buf, *end;
        while ((end = memmem(p, c->have - (size_t)(p - c->buf), "\r\n\r\n", 4))) {
            if (write(c->fd, answer, sizeof answer - 1) < 0) return -1;
            p = end + 4;
        }
        c->have -= (size_t)(p - c->buf);
        memmove(c->buf, p, c->have);
        if (c->have == sizeof c->buf) return -1;
    }
}

static void *run(void *arg)
{
    (void)arg;
    int lfd = listener(), ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL}, evs[256];
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            if (serve(c)) {
                close(c->fd);
                free(c);
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) return fprintf(stderr, "usage: http-server PORT [THREADS]\n"), 2;
    port = atoi(argv[1]);
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    pthread_t th;
    for (int i = 1; i < threads; i++) pthread_create(&th, NULL, run, NULL);
    run(NULL);
}

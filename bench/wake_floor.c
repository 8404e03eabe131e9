/* What sleeping costs here (issue 31): a thread that only wakes on a
 * timer, 1,000 times a second, as a paced run's worker does at the default
 * 1 ms send tick (a timerfd and epoll_wait, as libevent's precise timers).
 * Prints the CPU (getrusage, as run-bench counts loadgen's) per wake-up and
 * what that floor is per 100k messages at 10k msg/s. On a virtual machine
 * arming the timer and halting the CPU exit to the hypervisor: this one
 * measured 20-27 us a wake-up, 0.2-0.27 CPU-s per 100k before any message
 * work. Asserts nothing (bench/run-bench). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3000;
    int ep = epoll_create1(EPOLL_CLOEXEC), tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN};
    if (n < 1 || ep < 0 || tf < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev) != 0) {
        fprintf(stderr, "bench-wake: usage: bench-wake [WAKES] (timerfd/epoll unavailable?)\n");
        return 2;
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    double c0 = cpu_s();
    for (int i = 1; i <= n; i++) {
        int64_t ns = t0.tv_nsec + (int64_t)i * 1000000;
        struct itimerspec it = {.it_value = {t0.tv_sec + ns / 1000000000, ns % 1000000000}};
        uint64_t x;
        if (timerfd_settime(tf, TFD_TIMER_ABSTIME, &it, NULL) != 0 || epoll_wait(ep, &ev, 1, -1) != 1 ||
            read(tf, &x, sizeof x) != sizeof x)
            return 2;
    }
    double us = (cpu_s() - c0) / n * 1e6;
    printf("waking 1,000 times a second costs %.1f us of CPU a wake-up here: %.2f CPU-s per 100k messages "
           "at 10k msg/s (a 1 ms tick) before any message work\n", us, us * 1000 / 10000 * 100000 / 1e6);
    return 0;
}

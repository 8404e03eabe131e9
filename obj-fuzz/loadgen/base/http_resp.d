obj-fuzz/loadgen/base/http_resp.o: loadgen/base/http_resp.c \
 include/http_resp.h
include/http_resp.h:

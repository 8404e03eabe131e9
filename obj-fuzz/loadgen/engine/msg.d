obj-fuzz/loadgen/engine/msg.o: loadgen/engine/msg.c include/msg.h
include/msg.h:

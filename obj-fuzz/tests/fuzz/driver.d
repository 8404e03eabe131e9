obj-fuzz/tests/fuzz/driver.o: tests/fuzz/driver.c

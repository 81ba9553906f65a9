# Test helper: opens a pty pair, prints the slave's path, then copies stdin to the master until
# stdin closes. The test reads the slave through jSerialComm, like the host end of a QEMU pty chardev.
import os
import pty
import sys
import tty

master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
while True:
    data = sys.stdin.buffer.read1(65536)
    if not data:
        break
    view = memoryview(data)
    while view:
        view = view[os.write(master, view):]
os.close(master)

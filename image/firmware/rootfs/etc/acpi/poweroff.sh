#!/bin/sh
# The power button: a clean shutdown (/etc/init.d/rcK stops the appliance first).
exec /sbin/poweroff

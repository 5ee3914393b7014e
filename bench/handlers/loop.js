// Infinite loop: only the timeout stops it (TIMEOUT).
while (true) {}

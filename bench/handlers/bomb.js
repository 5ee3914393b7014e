// Memory bomb: grows until the memory limit stops it (MEMORY_LIMIT).
const hoard = [];
for (;;) hoard.push(new Array(100000).fill(1.5));

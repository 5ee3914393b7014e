// Compute-heavy: the primes below 200,000 (sieve of Eratosthenes).
const n = 200000;
const composite = new Uint8Array(n);
let count = 0;
for (let i = 2; i < n; i++) {
  if (composite[i]) continue;
  count++;
  for (let j = i * i; j < n; j += i) composite[j] = 1;
}
return count; // 17984

// workload.js — JavaScript CPU kernels timed by guest_bench under native QuickJS and under
// the guest in the Nexus engine. Runs as a function body: guest_bench prepends
// `const KERNEL = 'name', SCALE = n;` and compares the returned checksums.
const kernels = {
  // recursive calls: call/return overhead of JS_CallInternal
  fib() {
    const fib = n => (n < 2 ? n : fib(n - 1) + fib(n - 2));
    return fib(22 + SCALE);
  },
  // property access on objects built in a loop, map/filter/reduce
  objects() {
    let sum = 0;
    for (let r = 0; r < SCALE; r++) {
      const items = [];
      for (let i = 0; i < 20000; i++) items.push({ id: i, score: (i * 37) % 101, tag: 't' + (i % 7) });
      sum += items.filter(o => o.score > 50).map(o => o.id * 2).reduce((a, b) => a + b, 0);
    }
    return sum;
  },
  // sorting with a comparator
  sort() {
    let s = 1, acc = 0;
    for (let r = 0; r < SCALE; r++) {
      const a = [];
      for (let i = 0; i < 20000; i++) { s = (s * 16807) % 2147483647; a.push(s % 100000); }
      a.sort((x, y) => x - y);
      acc += a[0] + a[a.length >> 1] + a[a.length - 1];
    }
    return acc;
  },
  // string building, split/join, indexOf
  strings() {
    let total = 0;
    for (let r = 0; r < SCALE; r++) {
      let s = '';
      for (let i = 0; i < 5000; i++) s += 'word' + (i % 97) + ' ';
      const parts = s.split(' ');
      total += parts.join('-').length + s.indexOf('word96') + parts.filter(p => p.endsWith('7')).length;
    }
    return total;
  },
  // JSON round trips of a realistic payload
  json() {
    const items = [];
    for (let i = 0; i < 500; i++)
      items.push({ id: i, name: 'Item ' + i, active: i % 3 === 0, tags: ['a', 'b' + i], score: i / 8 });
    let n = 0;
    for (let r = 0; r < SCALE * 4; r++) n += JSON.parse(JSON.stringify(items)).length;
    return n;
  },
  // regular expressions over text
  regexp() {
    const text = 'alpha beta 2023-11-14 gamma 1999-01-02 delta '.repeat(200);
    let n = 0;
    for (let r = 0; r < SCALE * 4; r++) {
      n += (text.match(/\d{4}-\d{2}-\d{2}/g) || []).length;
      n += text.replace(/a(\w)/g, '$1').length;
    }
    return n;
  },
  // integer and float arithmetic in tight loops
  numeric() {
    let x = 0, y = 0.5;
    for (let i = 0; i < 300000 * SCALE; i++) { x = (x + i * 7) % 1000003; y = y * 1.0000001 + 0.25; }
    return x + ':' + Math.round(y);
  },
  // number to string conversions (printf/strtod based in QuickJS 2021-03-27)
  numfmt() {
    let n = 0;
    for (let i = 0; i < 2000 * SCALE; i++) n += String(i / 7).length + (i * 1.5).toFixed(2).length;
    return n;
  },
};
return String(kernels[KERNEL]());

;; control.wat — module of the execution-control benchmark (control_bench.c).
(module
  (memory (export "mem") 512 65536)  ;; 32 MiB
  (data (i32.const 1024) "initialized data that the snapshot keeps")
  (global $g (mut i32) (i32.const 0))
  ;; writes one word into each of n consecutive 64 KiB pages, from page 1 on
  (func (export "touch") (param $n i32)
    (local $i i32)
    (block
      (loop
        (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.mul (i32.add (local.get $i) (i32.const 1)) (i32.const 65536))
                   (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br 0)))
    (global.set $g (local.get $n)))
  ;; fills n bytes from 64 KiB on with a nonzero pattern (the "initialized heap")
  (func (export "fill") (param $n i32)
    (memory.fill (i32.const 65536) (i32.const 0x5A) (local.get $n)))
  (func (export "spin") (loop (br 0)))
)

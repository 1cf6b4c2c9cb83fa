;; hostile: calls every import with wild pointers, lengths, indices and levels
;; limit: the ABI's argument checks (a status code for each)
;; test-host: finished 0
;; firmware: finished 0
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) (local $i i32) (local $x i32)
    (loop $again
      ;; x: a different wild value each time (LCG)
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
      ;; Output indices from 1: unknown (output 0 would take the valid sends).
      (drop (call $send (local.get $x) (i32.shr_u (local.get $x) (i32.const 8)) (i32.add (local.get $i) (i32.const 1))))
      (drop (call $log (i32.shr_s (local.get $x) (i32.const 3)) (local.get $x) (local.get $i)))
      (drop (call $report (local.get $x) (i32.const -1)))
      (drop (call $input_len (local.get $x)))
      (drop (call $recv (local.get $x) (local.get $x) (i32.const 7)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 10000))))
    (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

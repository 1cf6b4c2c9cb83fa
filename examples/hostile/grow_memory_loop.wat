;; hostile: loops on a failing memory.grow(1)
;; limit: memory_budget (64 KiB); portable dispatch keeps the host's stack flat
;; test-host: finished 0
;; firmware: finished 0
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) (local $i i32)
    (loop $again
      (drop (memory.grow (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 100000))))
    (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

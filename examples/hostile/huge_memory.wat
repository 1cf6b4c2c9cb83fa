;; hostile: asks for 2 MiB of linear memory at start
;; limit: memory_budget (64 KiB)
;; test-host: refused bytes of memory at start
;; firmware: refused bytes of memory at start
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 32)
  (func (export "run_task") (result i32) (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

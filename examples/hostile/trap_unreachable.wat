;; hostile: reports an error, then traps
;; limit: none: a trap ends that guest only
;; test-host: trapped unreachable
;; firmware: trapped unreachable
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "giving up")
  (func (export "run_task") (result i32)
    (drop (call $report (i32.const 0) (i32.const 9)))
    (unreachable))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

;; hostile: recurses without end
;; limit: max_call_depth (256 frames)
;; test-host: trapped call stack exhausted
;; firmware: trapped call stack exhausted
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $deep (result i32) (call $deep))
  (func (export "run_task") (result i32) (call $deep))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

;; hostile: sends 1 KiB messages without end to an output nobody reads
;; limit: output budget (256 KiB held on the test host; a 4-message pipe on the firmware)
;; test-host: full
;; firmware: full
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32)
    (loop $again
      (drop (call $send (i32.const 0) (i32.const 1024) (i32.const 0)))
      (br $again))
    (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

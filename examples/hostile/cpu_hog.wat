;; hostile: computes forever
;; limit: fuel: slices on the firmware, the total budget on the test host
;; test-host: out-of-fuel
;; firmware: running
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "run_task") (result i32) (local $i i32)
    (loop $again
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $again))
    (i32.const 0))
  (@custom "wasm-sdk.manifest" "\01\00\01\02in\01\03out"))

;; ota: takes its first message, then computes for ever
;; class: trial-spin
;; expect: rolled-back
(module
  (import "connectors" "receive_input" (func $recv (param i32 i32 i32) (result i32)))
  (import "connectors" "send_output" (func $send (param i32 i32 i32) (result i32)))
  (import "connectors" "log" (func $log (param i32 i32 i32) (result i32)))
  (import "connectors" "report_error" (func $report (param i32 i32) (result i32)))
  (import "connectors" "input_len" (func $input_len (param i32) (result i32)))
  (memory (export "memory") 1)
  ;; Receives one message at 0 and answers it as is (a valid `Counter`).
  (func $answer (result i32) (local $n i32)
    (local.set $n (call $recv (i32.const 0) (i32.const 64) (i32.const 0)))
    (if (i32.lt_s (local.get $n) (i32.const 0)) (then (unreachable)))
    (drop (call $send (i32.const 0) (local.get $n) (i32.const 0)))
    (local.get $n))
  (func (export "run_task") (result i32) (local $i i32)
    (drop (call $recv (i32.const 0) (i32.const 64) (i32.const 0)))
    (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l))
    (i32.const 0)))

//! The `connectors` rules (`wasm_sdk_abi::rules::Rules`) called directly,
//! as every host calls them, with arbitrary pointers, lengths, indices and
//! levels, on a fuzz-sized memory and a `QueueEnv` with arbitrary queued
//! messages and closed inputs.
//!
//! Each call is checked against a model of the documented rules (checks in
//! order: index or level, negative length, memory range, content, text
//! budgets, queue): the exact reply, and its effects. `receive_input`
//! returning `n >= 0` wrote exactly the head message (`n` bytes at `buf`),
//! popped it and touched no other byte; any other answer writes nothing
//! and pops nothing (a message too large for the buffer stays queued);
//! `Block` only on a known, open, empty input. `input_len` changes nothing.
//! `send_output` records exactly the guest's bytes once, or answers `Full`
//! when the `QueueEnv`'s output budget is used (and records nothing). `log`
//! and `report_error` record exactly the guest's text once, or record
//! nothing: longer than the text budget's `max_len` is `MessageTooLarge`,
//! past its total `Closed` (counted as refused), past the step's share
//! (unless it is the step's first text) `Throttle`; the `TextUsage`
//! counts exactly what passed. `wait_input` changes no queue and no byte:
//! `BadPointer` for a list outside memory, then `UnknownInput` for an
//! empty list or an unknown index, then the first listed input (from the
//! one after the input it answered last, wrapping) with a message or
//! closed, which moves its `WaitCursor`, else `Wait` with the set listed.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wasm_sdk_abi::queue::QueueEnv;
use wasm_sdk_abi::rules::{
    Environment, InputSet, InputState, Reply, Rules, TextBudget, TextUsage, WaitCursor,
};
use wasm_sdk_abi::{LogLevel, Status};

/// A pointer: mostly inside or near the memory, sometimes any `i32`.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ptr {
    Near(u16),
    Raw(i32),
}

/// A length: mostly small, sometimes any `i32` (negative too).
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Len {
    Small(u16),
    Raw(i32),
}

#[derive(Arbitrary, Debug)]
enum Op {
    Receive {
        buf: Ptr,
        len: Len,
        input: i32,
    },
    InputLen {
        input: i32,
    },
    Send {
        buf: Ptr,
        len: Len,
        output: i32,
    },
    Log {
        ptr: Ptr,
        len: Len,
        level: i32,
    },
    ReportError {
        ptr: Ptr,
        len: Len,
    },
    Wait {
        list: Ptr,
        len: Len,
    },
    Push {
        input: u8,
        message: Vec<u8>,
    },
    Close {
        input: u8,
    },
    /// The host takes the oldest recorded output (room on a full output).
    TakeOutput,
    /// A new step: this step's text budget is unused again.
    NextStep,
    /// Overwrites guest memory (a guest writing text or a message).
    Write {
        at: u16,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    inputs: u8,
    outputs: u8,
    max_message_len: u16,
    text_max_len: u16,
    text_per_step: u16,
    text_total: Option<u16>,
    output_budget: Option<u16>,
    memory_len: u16,
    ops: Vec<Op>,
}

fn ptr(p: Ptr, memory_len: usize) -> i32 {
    match p {
        Ptr::Near(n) => (usize::from(n) % (memory_len + 16)) as i32,
        Ptr::Raw(raw) => raw,
    }
}

fn len(l: Len) -> i32 {
    match l {
        Len::Small(n) => i32::from(n % 512),
        Len::Raw(raw) => raw,
    }
}

/// The bytes `ptr..ptr + len` of memory as the rules define them: `ptr`
/// is an unsigned offset, `len` must not be negative.
fn range(memory: &[u8], ptr: i32, len: i32) -> Option<std::ops::Range<usize>> {
    let len = usize::try_from(len).ok()?;
    let start = ptr as u32 as usize;
    let end = start.checked_add(len)?;
    (end <= memory.len()).then_some(start..end)
}

fn index(idx: i32, count: usize) -> Option<u8> {
    usize::try_from(idx).ok().filter(|&i| i < count).map(|i| i as u8)
}

fuzz_target!(|input: Input| {
    let rules = Rules {
        inputs: usize::from(input.inputs % 8),
        outputs: usize::from(input.outputs % 8),
        max_message_len: usize::from(input.max_message_len),
        text: TextBudget {
            max_len: usize::from(input.text_max_len),
            per_step: usize::from(input.text_per_step),
            total: input.text_total.map(u64::from),
        },
    };
    let mut memory = vec![0u8; usize::from(input.memory_len % 4096)];
    let mut env = QueueEnv::default();
    env.output_budget = input.output_budget.map(usize::from);
    let mut usage = TextUsage::default();
    let mut cursor = WaitCursor::default();
    for op in input.ops {
        let before = memory.clone();
        let env_before = env.clone();
        match op {
            Op::Receive { buf, len: l, input: idx } => {
                let (buf, l) = (ptr(buf, memory.len()), len(l));
                let reply = rules.receive_input(memory.as_mut_slice(), &mut env, buf, l, idx);
                let Some(i) = index(idx, rules.inputs) else {
                    assert_eq!(reply, Reply::Return(Status::UnknownInput.code()));
                    assert_eq!((&memory, &env), (&before, &env_before));
                    continue;
                };
                let Some(r) = range(&memory, buf, l) else {
                    assert_eq!(reply, Reply::Return(Status::BadPointer.code()));
                    assert_eq!((&memory, &env), (&before, &env_before));
                    continue;
                };
                let mut model = env_before.clone();
                match model.input(i) {
                    InputState::Ready(message) if message.len() <= r.len() => {
                        let message = message.to_vec();
                        assert_eq!(reply, Reply::Return(message.len() as i32));
                        let written = r.start..r.start + message.len();
                        assert_eq!(&memory[written.clone()], &message[..]);
                        assert_eq!(&memory[..written.start], &before[..written.start]);
                        assert_eq!(&memory[written.end..], &before[written.end..]);
                        assert_eq!(env.queued(i) + 1, env_before.queued(i), "popped");
                        model.pop_input(i);
                        assert_eq!(env, model);
                    }
                    InputState::Ready(_) => {
                        assert_eq!(reply, Reply::Return(Status::MessageTooLarge.code()));
                        assert_eq!((&memory, &env), (&before, &env_before), "stays queued");
                    }
                    InputState::Closed => {
                        assert_eq!(reply, Reply::Return(Status::Closed.code()));
                        assert_eq!((&memory, &env), (&before, &env_before));
                    }
                    InputState::Empty => {
                        assert_eq!(reply, Reply::Block { input: i });
                        assert!(!env.is_closed(i) && env.queued(i) == 0);
                        assert_eq!((&memory, &env), (&before, &env_before));
                    }
                }
            }
            Op::InputLen { input: idx } => {
                let got = rules.input_len(&mut env, idx);
                let expected = match index(idx, rules.inputs) {
                    None => Status::UnknownInput.code(),
                    Some(i) => match env.clone().input(i) {
                        InputState::Ready(message) => message.len() as i32,
                        InputState::Empty => Status::Empty.code(),
                        InputState::Closed => Status::Closed.code(),
                    },
                };
                assert_eq!(got, expected);
                assert_eq!(env, env_before);
            }
            Op::Send { buf, len: l, output } => {
                let (buf, l) = (ptr(buf, memory.len()), len(l));
                let got = rules.send_output(memory.as_slice(), &mut env, buf, l, output);
                let held: usize = env_before.sent.iter().map(|(_, m)| m.len()).sum();
                let expected = match (index(output, rules.outputs), range(&memory, buf, l)) {
                    (None, _) => Reply::Return(Status::UnknownOutput.code()),
                    (Some(_), None) => Reply::Return(Status::BadPointer.code()),
                    (Some(_), Some(r)) if r.len() > rules.max_message_len => {
                        Reply::Return(Status::MessageTooLarge.code())
                    }
                    (Some(_), Some(r)) if env.output_budget.is_some_and(|b| r.len() > b) => {
                        Reply::Return(Status::MessageTooLarge.code())
                    }
                    (Some(o), Some(r)) if env.output_budget.is_some_and(|b| held + r.len() > b) => {
                        Reply::Full { output: o }
                    }
                    (Some(o), Some(r)) => {
                        assert_eq!(env.sent.last(), Some(&(o, memory[r].to_vec())));
                        Reply::Return(0)
                    }
                };
                assert_eq!(got, expected);
                let recorded = usize::from(got == Reply::Return(0));
                assert_eq!(env.sent.len(), env_before.sent.len() + recorded);
                assert_eq!((&env.logs, &env.errors), (&env_before.logs, &env_before.errors));
            }
            Op::Log { ptr: p, len: l, level } => {
                let (p, l) = (ptr(p, memory.len()), len(l));
                let before_usage = usage;
                let got = rules.log(memory.as_slice(), &mut env, &mut usage, p, l, level);
                let mut model = before_usage;
                let expected = match LogLevel::from_code(level) {
                    None => Reply::Return(Status::InvalidLogLevel.code()),
                    Some(level) => text_model(&rules, &mut model, &memory, p, l, |text| {
                        assert_eq!(env.logs.last(), Some(&(level, text.to_owned())));
                    }),
                };
                assert_eq!((got, usage), (expected, model));
                let recorded = usize::from(got == Reply::Return(0));
                assert_eq!(env.logs.len(), env_before.logs.len() + recorded);
                assert_eq!((&env.sent, &env.errors), (&env_before.sent, &env_before.errors));
            }
            Op::ReportError { ptr: p, len: l } => {
                let (p, l) = (ptr(p, memory.len()), len(l));
                let before_usage = usage;
                let got = rules.report_error(memory.as_slice(), &mut env, &mut usage, p, l);
                let mut model = before_usage;
                let expected = text_model(&rules, &mut model, &memory, p, l, |text| {
                    assert_eq!(env.errors.last().map(String::as_str), Some(text));
                });
                assert_eq!((got, usage), (expected, model));
                let recorded = usize::from(got == Reply::Return(0));
                assert_eq!(env.errors.len(), env_before.errors.len() + recorded);
                assert_eq!((&env.sent, &env.logs), (&env_before.sent, &env_before.logs));
            }
            Op::Wait { list, len: l } => {
                let (p, l) = (ptr(list, memory.len()), len(l));
                let before_cursor = cursor;
                let got = rules.wait_input(memory.as_slice(), &mut env, &mut cursor, p, l);
                assert_eq!((&memory, &env), (&before, &env_before), "a wait takes nothing");
                let expected = match range(&memory, p, l) {
                    None => (Reply::Return(Status::BadPointer.code()), before_cursor),
                    Some(r)
                        if r.is_empty()
                            || memory[r.clone()]
                                .iter()
                                .any(|&i| usize::from(i) >= rules.inputs) =>
                    {
                        (Reply::Return(Status::UnknownInput.code()), before_cursor)
                    }
                    Some(r) => {
                        let list = &memory[r];
                        let start = before_cursor
                            .last
                            .and_then(|last| list.iter().position(|&i| i == last))
                            .map_or(0, |at| at + 1);
                        let ready = (0..list.len())
                            .map(|k| list[(start + k) % list.len()])
                            .find(|&i| env.queued(i) > 0 || env.is_closed(i));
                        match ready {
                            Some(i) => (Reply::Return(i32::from(i)), WaitCursor { last: Some(i) }),
                            None => {
                                let inputs: InputSet = list.iter().copied().collect();
                                (Reply::Wait { inputs }, before_cursor)
                            }
                        }
                    }
                };
                assert_eq!((got, cursor), expected);
            }
            Op::Push { input: i, message } => env.push(i % 8, message),
            Op::Close { input: i } => env.close(i % 8),
            Op::TakeOutput => {
                if !env.sent.is_empty() {
                    env.sent.remove(0);
                }
            }
            Op::NextStep => usage.next_step(),
            Op::Write { at, bytes } => {
                let at = usize::from(at).min(memory.len());
                let n = bytes.len().min(memory.len() - at);
                memory[at..at + n].copy_from_slice(&bytes[..n]);
            }
        }
    }
});

/// The documented reply for text at `ptr..ptr + len`, applied to the
/// model's `usage`; `passed` checks what was recorded when the text passed.
fn text_model(
    rules: &Rules,
    usage: &mut TextUsage,
    memory: &[u8],
    ptr: i32,
    len: i32,
    passed: impl FnOnce(&str),
) -> Reply {
    let code = |status: Status| Reply::Return(status.code());
    let Some(r) = range(memory, ptr, len) else { return code(Status::BadPointer) };
    if r.len() > rules.text.max_len {
        return code(Status::MessageTooLarge);
    }
    let Ok(text) = std::str::from_utf8(&memory[r]) else { return code(Status::InvalidUtf8) };
    let total = usage.total + text.len() as u64;
    if rules.text.total.is_some_and(|max| total > max) {
        usage.refused += 1;
        return code(Status::Closed);
    }
    if usage.step > 0 && usage.step + text.len() > rules.text.per_step {
        return Reply::Throttle;
    }
    passed(text);
    usage.step += text.len();
    usage.total = total;
    Reply::Return(0)
}

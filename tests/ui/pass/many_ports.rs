// Several names, trailing commas, raw identifiers, a fully qualified
// return type and an error that `run_task` reports.
use wasm_sdk_macros::task_run;

#[task_run(inputs(temperature, set_point, r#type,), outputs(heater_on, alarm_level,),)]
fn control() -> wasm_sdk::Result<()> {
    wasm_sdk::send(&[1], Output::AlarmLevel)?;
    wasm_sdk::send(&[2], 7)?;
    Ok(())
}

fn main() {
    assert_eq!(
        Input::NAMES,
        ["temperature", "set_point", "type"]
    );
    assert_eq!(Input::Type.index(), 2);
    assert_eq!(Output::AlarmLevel.index(), 1);

    wasm_sdk::native::reset(Input::COUNT, Output::COUNT);
    assert_eq!(run_task(), -1);
    assert_eq!(wasm_sdk::native::take_outputs(), vec![(1, vec![1])]);
    assert_eq!(
        wasm_sdk::native::take_errors(),
        vec![String::from("Task run error: unknown output")]
    );
}

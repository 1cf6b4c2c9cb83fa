//! A device's catalog on the desktop: the file round-trips, each port of a
//! module is checked as the device would bind it, and a test host with
//! the catalog refuses what the device refuses.

use module_examples_common::{AlarmEvent, Counter, Reading};
use wasm_sdk::abi::catalog::Direction;
use wasm_sdk::abi::manifest::TypeDecl;
use wasm_sdk::abi::schema::TypeKey;
use wasm_sdk::abi::schema::postcard_schema::Schema;
use wasm_sdk::timer::{SetTimer, TICK, TIMER, Tick};
use wasm_sdk_build::fixture::{ECHO, Fixture};
use wasm_sdk_testhost::{
    Binds, CatalogService, DeviceCatalog, LoadError, PortKind, TestHost, TestHostError,
};

/// The QEMU serve firmware's catalog.
fn catalog() -> DeviceCatalog {
    DeviceCatalog::new(vec![
        CatalogService::of::<Reading>("temperature", Direction::Provides),
        CatalogService::of::<AlarmEvent>("alarm", Direction::Takes),
        CatalogService::of::<SetTimer>(TIMER, Direction::Takes),
        CatalogService::of::<Tick>(TICK, Direction::Provides),
    ])
}

fn ty<T: Schema>() -> TypeDecl {
    TypeDecl { key: TypeKey::of::<T>(), schema: T::SCHEMA }
}

/// The echo module, its input and output typed `T` and `U`.
fn echo<T: Schema, U: Schema>(input: &str, output: &str) -> Vec<u8> {
    Fixture::new(ECHO).typed_input(input, ty::<T>()).typed_output(output, ty::<U>()).build()
}

#[test]
fn the_catalog_file_round_trips_and_names_what_is_wrong_in_it() {
    let catalog = catalog();
    let json = catalog.to_json();
    assert!(json.contains(r#""shape": "struct Reading { deci_celsius: i16 }""#), "{json}");
    assert_eq!(DeviceCatalog::from_json(&json).unwrap(), catalog);

    let bad = json.replacen("\"provides\"", "\"gives\"", 1);
    let error = DeviceCatalog::from_json(&bad).unwrap_err();
    assert!(error.contains("service `temperature`: direction `gives`"), "{error}");
    // A key that is not its schema's: a tool would encode the wrong type.
    let key = TypeKey::of::<Reading>().to_string();
    let error = DeviceCatalog::from_json(&json.replacen(&key, "0011223344556677", 1)).unwrap_err();
    assert!(error.contains("temperature") && error.contains("not its schema's key"), "{error}");
    let error =
        DeviceCatalog::from_json(&json.replace("\"catalog\": 1", "\"catalog\": 9")).unwrap_err();
    assert!(error.contains("update the tool"), "{error}");
}

#[test]
fn each_port_is_checked_as_the_device_binds_it() {
    let catalog = catalog();
    let ok = catalog.check(&echo::<Reading, AlarmEvent>("temperature", "alarm")).unwrap();
    assert_eq!(ok[0].outcome, Ok(Binds::Service("temperature".into(), Direction::Provides)));
    assert_eq!(ok[1].outcome, Ok(Binds::Service("alarm".into(), Direction::Takes)));
    assert_eq!(
        ok[1].to_string(),
        "ok    output `alarm`: binds service `alarm` (the firmware takes it)"
    );
    let topic = catalog.check(&echo::<Reading, Reading>("temperature", "topic/smoothed")).unwrap();
    assert_eq!(topic[1].outcome, Ok(Binds::Topic("smoothed".into())));

    // Every failing port is named, each with the device's reason.
    let checks = catalog.check(&echo::<Reading, Counter>("humidity", "alarm")).unwrap();
    let reasons: Vec<String> = checks.iter().map(ToString::to_string).collect();
    assert_eq!(
        reasons,
        [
            "FAILS input `humidity`: the firmware offers no service `humidity` (mark a port between guests `#[topic]`)",
            &format!(
                "FAILS output `alarm` carries `AlarmEvent` (key {}) but the module declares `Counter` (key {})",
                TypeKey::of::<AlarmEvent>(),
                TypeKey::of::<Counter>()
            ),
        ]
    );
    let backwards = catalog.check(&echo::<AlarmEvent, Reading>("alarm", "temperature")).unwrap();
    assert!(
        backwards.iter().all(|c| c.outcome.as_ref().is_err_and(|e| e.contains("so it binds"))),
        "{backwards:?}"
    );
    assert_eq!(backwards[0].kind, PortKind::Input);
}

#[test]
fn a_test_host_with_the_catalog_refuses_what_the_device_refuses() {
    let host = TestHost::builder().catalog(&catalog()).build();
    host.load(&echo::<Reading, AlarmEvent>("temperature", "alarm")).expect("binds");
    let mistyped = host.load(&echo::<Counter, AlarmEvent>("temperature", "alarm")).err().unwrap();
    assert!(matches!(mistyped, TestHostError::Load(LoadError::PortType { .. })), "{mistyped}");
    let missing = host.load(&echo::<Reading, AlarmEvent>("humidity", "alarm")).err().unwrap();
    assert!(
        matches!(&missing, TestHostError::Bind(reason) if reason.contains("no service `humidity`")),
        "{missing}"
    );
}

//! Modules signed by wasmsign2 (the format's reference implementation),
//! verified by `wasm_sdk_sign`; tampered, unsigned, wrongly signed and
//! malformed modules refused with the right reason, never a panic.

use wasm_sdk_build::fixture::Fixture;
use wasm_sdk_sign::{MAX_SIGNATURES, PublicKey, SignatureError, verify};
use wasmsign2::{KeyPair, Module};

/// A small module with code, data and a custom section.
fn module() -> Vec<u8> {
    Fixture::new(
        r#"(module
          (memory (export "memory") 1 1)
          (func (export "run_task") (result i32) (i32.const 0x1234567))
          (data (i32.const 16) "hello"))"#,
    )
    .inputs(["in"])
    .outputs(["out"])
    .build()
}

fn sign(module: &[u8], key: &KeyPair) -> Vec<u8> {
    let parsed = Module::deserialize(&mut &module[..]).unwrap();
    let signed = key.sk.sign(parsed, None).unwrap();
    let mut out = Vec::new();
    signed.serialize(&mut out).unwrap();
    out
}

fn public(key: &KeyPair) -> PublicKey {
    PublicKey::from_bytes(&key.pk.to_bytes()).unwrap()
}

/// A module whose first section is a `signature` section holding `data`,
/// followed by the sections of `module()`.
fn with_section(data: &[u8]) -> Vec<u8> {
    let mut payload = vec![9];
    payload.extend_from_slice(b"signature");
    payload.extend_from_slice(data);
    let mut out = b"\0asm\x01\0\0\0".to_vec();
    out.push(0);
    leb(&mut out, payload.len());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&module()[8..]);
    out
}

fn leb(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        out.push(if n == 0 { byte } else { byte | 0x80 });
        if n == 0 {
            break;
        }
    }
}

/// The byte range of the signature section's payload in a signed module.
fn section_range(signed: &[u8]) -> std::ops::Range<usize> {
    let mut at = 9;
    let mut size = 0;
    let mut shift = 0;
    loop {
        let byte = signed[at];
        at += 1;
        size |= usize::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    at..at + size
}

#[test]
fn a_module_signed_by_wasmsign2_verifies() {
    let key = KeyPair::generate();
    let signed = sign(&module(), &key);
    assert_eq!(verify(&signed, &public(&key)), Ok(()));
    // wasmsign2 agrees, and the section is where the format puts it.
    key.pk.verify(&mut &signed[..], None).unwrap();
    let range = section_range(&signed);
    assert_eq!(signed[8], 0, "a custom section first");
    assert_eq!(&signed[range.start..range.start + 10], b"\x09signature");
}

#[test]
fn the_public_key_file_is_wasmsign2s_serialization() {
    let key = KeyPair::generate();
    let bytes = key.pk.to_bytes();
    assert_eq!(bytes.len(), PublicKey::SERIALIZED_LEN);
    assert_eq!(PublicKey::from_bytes(&bytes).unwrap().as_raw()[..], bytes[1..]);
    let refused = Err(SignatureError::InvalidPublicKey);
    assert_eq!(PublicKey::from_bytes(&key.sk.to_bytes()), refused, "a secret key");
    assert_eq!(PublicKey::from_bytes(&bytes[1..]), refused, "no type byte");
    assert_eq!(PublicKey::from_bytes(&bytes[..32]), refused, "truncated");
    assert_eq!(PublicKey::from_bytes(&[]), refused);
}

#[test]
fn a_changed_byte_after_signing_is_refused() {
    let key = KeyPair::generate();
    let signed = sign(&module(), &key);
    // The constant 0x1234567 in the code section, as LEB128: e7 8a 8d 09.
    let at = signed.windows(4).position(|w| w == [0xe7, 0x8a, 0x8d, 0x09]).unwrap();
    let mut tampered = signed.clone();
    tampered[at] ^= 1;
    assert_eq!(verify(&tampered, &public(&key)), Err(SignatureError::Modified));
    // A section appended after signing changes the hash too.
    let mut appended = signed;
    appended.extend_from_slice(&[0, 2, 1, b'x']);
    assert_eq!(verify(&appended, &public(&key)), Err(SignatureError::Modified));
}

#[test]
fn an_unsigned_module_is_refused() {
    let key = public(&KeyPair::generate());
    assert_eq!(verify(&module(), &key), Err(SignatureError::Unsigned));
    assert_eq!(verify(b"\0asm\x01\0\0\0", &key), Err(SignatureError::Unsigned));
    // A custom section first, but not the signature.
    let other = wat::parse_str(r#"(module (@custom "sig" "x") (func))"#).unwrap();
    assert_eq!(verify(&other, &key), Err(SignatureError::Unsigned));
    // A signature section with no signature in it.
    assert_eq!(verify(&with_section(&[1, 1, 1, 0]), &key), Err(SignatureError::Unsigned));
    assert_eq!(verify(b"not wasm", &key), Err(SignatureError::NotWasm));
    assert_eq!(verify(b"", &key), Err(SignatureError::NotWasm));
}

#[test]
fn a_module_signed_with_another_key_is_refused() {
    let signed = sign(&module(), &KeyPair::generate());
    let other = public(&KeyPair::generate());
    assert_eq!(verify(&signed, &other), Err(SignatureError::WrongKey));
    assert_eq!(SignatureError::WrongKey.as_str(), "not signed with this device's key");
}

#[test]
fn a_second_signature_by_wasmsign2_sign_multi_verifies_with_either_key() {
    let (first, second) = (KeyPair::generate(), KeyPair::generate());
    let signed = sign(&module(), &first);
    let parsed = Module::deserialize(&mut &signed[..]).unwrap();
    let (both, _) = second.sk.sign_multi(parsed, None, false, false).unwrap();
    let mut both_bytes = Vec::new();
    both.serialize(&mut both_bytes).unwrap();
    assert_eq!(verify(&both_bytes, &public(&first)), Ok(()));
    assert_eq!(verify(&both_bytes, &public(&second)), Ok(()));
    let third = public(&KeyPair::generate());
    assert_eq!(verify(&both_bytes, &third), Err(SignatureError::WrongKey));
}

#[test]
fn every_truncation_and_byte_change_of_the_section_is_refused_without_panic() {
    let key = KeyPair::generate();
    let pk = public(&key);
    let signed = sign(&module(), &key);
    let range = section_range(&signed);
    // Every prefix of the signed module.
    for len in 0..signed.len() {
        assert!(verify(&signed[..len], &pk).is_err(), "prefix of {len} bytes");
    }
    // Every byte of the section, changed to a few values.
    for at in 8..range.end {
        for value in [0x00, 0x01, 0x7f, 0x80, 0xff, signed[at] ^ 0x40] {
            if value == signed[at] {
                continue;
            }
            let mut changed = signed.clone();
            changed[at] = value;
            assert!(verify(&changed, &pk).is_err(), "byte {at} set to {value:#x}");
        }
    }
    // The section's payload cut short, its size adjusted: Malformed.
    let data = &signed[range.start + 10..range.end];
    for len in 0..data.len() {
        let cut = with_section(&data[..len]);
        assert_eq!(verify(&cut, &pk), Err(SignatureError::Malformed), "{len} bytes");
    }
    let mut trailing = data.to_vec();
    trailing.push(0);
    assert_eq!(verify(&with_section(&trailing), &pk), Err(SignatureError::Malformed));
    // The same data in a rebuilt section: valid (the module is the same).
    assert_eq!(verify(&with_section(data), &pk), Ok(()));
}

#[test]
fn garbage_and_over_the_limit_sections_are_malformed() {
    let pk = public(&KeyPair::generate());
    let malformed = Err(SignatureError::Malformed);
    // More sets than the limit, a LEB128 longer than 5 bytes or over u32.
    assert_eq!(verify(&with_section(&[1, 1, 1, 65]), &pk), malformed);
    assert_eq!(verify(&with_section(&[1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0]), &pk), malformed);
    assert_eq!(verify(&with_section(&[1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x1f]), &pk), malformed);
    // A set longer than the section.
    assert_eq!(verify(&with_section(&[1, 1, 1, 1, 100, 0]), &pk), malformed);
    // A section longer than the module.
    let mut long = b"\0asm\x01\0\0\0\0\xff\xff\x03\x09signature".to_vec();
    long.extend_from_slice(&[1, 1, 1, 0]);
    assert_eq!(verify(&long, &pk), malformed);
    // 0xff everywhere.
    assert_eq!(verify(&with_section(&[1, 1, 1, 0xff, 0xff]), &pk), malformed);
    // Another format version or hash function.
    let unsupported = Err(SignatureError::UnsupportedAlgorithm);
    assert_eq!(verify(&with_section(&[2, 1, 1, 0]), &pk), unsupported);
    assert_eq!(verify(&with_section(&[1, 1, 2, 0]), &pk), unsupported);
}

/// One set listing `hash`, with `signatures` of algorithm `algorithm`.
fn set_of(hash: &[u8], algorithm: u8, signatures: usize) -> Vec<u8> {
    let mut set = vec![1];
    set.extend_from_slice(hash);
    leb(&mut set, signatures);
    for i in 0..signatures {
        let mut entry = vec![0, algorithm, 64];
        entry.extend_from_slice(&[i as u8; 64]);
        leb(&mut set, entry.len());
        set.extend_from_slice(&entry);
    }
    let mut data = vec![1, 1, 1, 1];
    leb(&mut data, set.len());
    data.extend_from_slice(&set);
    data
}

#[test]
fn only_a_bounded_number_of_signatures_is_checked() {
    let pk = public(&KeyPair::generate());
    let key = KeyPair::generate();
    let signed = sign(&module(), &key);
    // The real hash, listed in a set of the most bogus signatures allowed.
    let range = section_range(&signed);
    let hash = &signed[range.start + 16..range.start + 48];
    let bogus = with_section(&set_of(hash, 1, MAX_SIGNATURES));
    let started = std::time::Instant::now();
    assert_eq!(verify(&bogus, &pk), Err(SignatureError::WrongKey));
    assert!(started.elapsed().as_secs() < 5);
    let too_many = with_section(&set_of(hash, 1, MAX_SIGNATURES + 1));
    assert_eq!(verify(&too_many, &pk), Err(SignatureError::Malformed));
    // Only another algorithm signs the hash.
    let other = with_section(&set_of(hash, 2, 1));
    assert_eq!(verify(&other, &pk), Err(SignatureError::UnsupportedAlgorithm));
}

//! Fuzzes the client's response decoding (`vt4g::client::decode_response`,
//! the same path `Client` takes after its last attempt): arbitrary bytes →
//! byte 0 picks the command, bytes 1-2 the HTTP status, the rest is the body.
//! It must never panic, whatever the body; every error must render (Display,
//! Debug) and keep its accessors panic-free; a success must carry a result
//! code the client treats as non-error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vt4g::client::{decode_response, Outcome};
use vt4g::generated::types;
use vt4g::{Command, Error};

fn check<T: serde::de::DeserializeOwned + std::fmt::Debug>(r: Result<Outcome<T>, Error>) {
    match r {
        Ok(o) => {
            let code = o.result_code();
            assert!(
                matches!(
                    code.as_str(),
                    "UA-000-001" | "UA-000-002" | "UA-U00-001" | "UA-P00-001"
                ),
                "Outcome with code {}",
                code.as_str()
            );
            let _ = format!("{o:?}");
        }
        Err(e) => {
            let _ = e.to_string();
            let _ = format!("{e:?}");
            let _ = e.idempotency_key();
            let _ = e.result_code();
            let _ = e.maybe_processed();
            assert!(
                matches!(e, Error::Api(_) | Error::Pending(_) | Error::Decode(_)),
                "decoding produced {e:?}"
            );
        }
    }
}

fn run<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    command: Command,
    status: u16,
    body: &[u8],
) {
    check(decode_response::<T>(command, status, body));
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let command = Command::ALL[usize::from(data[0]) % Command::ALL.len()];
    let status = u16::from_be_bytes([data[1], data[2]]);
    let body = &data[3..];
    match command {
        Command::Pay => run::<types::PayResponse>(command, status, body),
        Command::Subscribe => run::<types::SubscribeResponse>(command, status, body),
        Command::UpdateOrder => run::<types::UpdateOrderResponse>(command, status, body),
        Command::Capture => run::<types::CaptureResponse>(command, status, body),
        Command::Cancel => run::<types::CancelResponse>(command, status, body),
        Command::Charge => run::<types::ChargeResponse>(command, status, body),
        Command::Terminate => run::<types::TerminateResponse>(command, status, body),
        Command::GetTransactionResult => {
            run::<types::GetTransactionResultResponse>(command, status, body)
        }
    }
    // The untyped path too (what `Client::call::<_, serde_json::Value>` uses).
    run::<serde_json::Value>(command, status, body);
});

//! Local simulator of the VeriTrans4G Unified API sandbox.
#![forbid(unsafe_code)]

//! The sandbox simulation tables of the reference (section "Testing"), as ONE
//! data table.
//!
//! Every [`Cell`] carries a `source` string naming the reference table, row and
//! column it came from, and (where the rendered reference lost merged cells) the
//! reading we chose. `sandbox/README.md` lists every reading. The general rule:
//! a blank cell continues the merged cell above it in the same column; where a
//! row prints fewer cells than the table has columns, the printed cells were
//! placed in the columns whose value changes at that row, left to right, so
//! that no column ever "restarts" with the value it already had (which a merged
//! cell would have covered).

use vt4g::PayType;

/// What a request or consumer action is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// `pay`, after the consumer proceeds (amount table).
    Pay,
    /// `subscribe`, after the consumer proceeds (Rakuten's item-name table).
    Subscribe,
    /// `capture` (for Rakuten: full-amount capture).
    Capture,
    /// Rakuten: capture of less than the authorized amount.
    CapturePartial,
    /// `cancel` (Merpay: after capture).
    Cancel,
    /// Merpay: `cancel` before capture.
    CancelBeforeCapture,
    /// Rakuten `updateOrder` with `authExtensionType=extend` only.
    UpdateExtension,
    /// Rakuten/au `updateOrder` changing the amount only.
    UpdateAmount,
    /// Rakuten `updateOrder` with extension and amount change.
    UpdateExtensionAndAmount,
    /// `charge` (PayPay: `recoveryType` not `recovery`).
    Charge,
    /// PayPay `charge` with `recoveryType=recovery`.
    ChargeRecovery,
    /// The consumer's choice on the dummy provider page after `pay`.
    PayChoice,
    /// The consumer's choice on the dummy provider page after `subscribe`.
    SubscribeChoice,
}

/// What selects a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Trigger {
    /// The last digit of the amount.
    LastDigit(u8),
    /// `item[0].name` equal to this value (Rakuten subscribe).
    ItemName(&'static str),
    /// `item[0].name` anything else.
    OtherItemName,
    /// `?choice=` on the consumer page.
    Choice(&'static str),
}

/// How the consumer step ends for a choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Landing {
    /// 302 to successUrl / cancelUrl / errorUrl by the result.
    Redirect,
    /// The consumer stays on the dummy provider page (no redirect, order
    /// unchanged), e.g. Rakuten "Failure (Point Fraud)".
    StayOnProviderPage,
    /// The redirect back to the merchant fails; the order is finalized with the
    /// result (webhook per the notification conditions) and getTransactionResult
    /// returns it.
    RedirectFailsFinalized,
    /// The redirect back to the merchant fails and the order is not finalized:
    /// getTransactionResult keeps answering UA-U00-001.
    RedirectFailsPending,
}

/// One cell of the simulation tables.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    /// Provider.
    #[serde(serialize_with = "ser_pay_type")]
    pub pay_type: PayType,
    /// Which API / step.
    pub stage: Stage,
    /// What selects this cell.
    pub trigger: Trigger,
    /// `resultCode`; `"-"` where the reference prints a dash.
    pub result_code: &'static str,
    /// `vResultCode`; `"-"` where the reference prints a dash.
    pub v_result_code: &'static str,
    /// How the consumer step ends (only meaningful for choices).
    pub landing: Landing,
    /// Where in the reference this cell comes from, and the reading chosen.
    pub source: &'static str,
}

fn ser_pay_type<S: serde::Serializer>(p: &PayType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.as_str())
}

/// The `vResultCode` of a success for the provider (PayPay `1001`, Rakuten
/// `F001`, docomo/au `W001`, Merpay `K001`).
pub const fn success_v_code(p: PayType) -> &'static str {
    match p {
        PayType::Paypay => "1001",
        PayType::Rakuten => "F001",
        PayType::Docomo | PayType::Au => "W001",
        PayType::Merpay => "K001",
    }
}

const OK: &str = "UA-000-001";
const PP: PayType = PayType::Paypay;
const RK: PayType = PayType::Rakuten;
const DC: PayType = PayType::Docomo;
const AU: PayType = PayType::Au;
const MP: PayType = PayType::Merpay;

macro_rules! d {
    ($p:expr, $st:ident, $digit:expr, $rc:expr, $vc:expr, $src:expr) => {
        Cell {
            pay_type: $p,
            stage: Stage::$st,
            trigger: Trigger::LastDigit($digit),
            result_code: $rc,
            v_result_code: $vc,
            landing: Landing::Redirect,
            source: $src,
        }
    };
}

macro_rules! c {
    ($p:expr, $st:ident, $choice:expr, $rc:expr, $vc:expr, $land:ident, $src:expr) => {
        Cell {
            pay_type: $p,
            stage: Stage::$st,
            trigger: Trigger::Choice($choice),
            result_code: $rc,
            v_result_code: $vc,
            landing: Landing::$land,
            source: $src,
        }
    };
}

/// Every cell we implement, in the reference's order.
pub static CELLS: &[Cell] = &[
    // ---------------- PayPay ----------------
    d!(PP, Pay, 0, OK, "1001", "PayPay > Payment Request (Single Payment) > row 0"),
    d!(PP, Pay, 1, OK, "1001", "PayPay > Payment Request (Single Payment) > row 1 (blank: merged with row 0)"),
    d!(PP, Pay, 2, OK, "1001", "PayPay > Payment Request (Single Payment) > row 2 (blank: merged with row 0)"),
    d!(PP, Pay, 3, OK, "1001", "PayPay > Payment Request (Single Payment) > row 3 (blank: merged with row 0)"),
    d!(PP, Pay, 4, OK, "1001", "PayPay > Payment Request (Single Payment) > row 4 (blank: merged with row 0)"),
    d!(PP, Pay, 5, OK, "1001", "PayPay > Payment Request (Single Payment) > row 5 (blank: merged with row 0)"),
    d!(PP, Pay, 6, OK, "1001", "PayPay > Payment Request (Single Payment) > row 6 (blank: merged with row 0)"),
    d!(PP, Pay, 7, OK, "1001", "PayPay > Payment Request (Single Payment) > row 7 (blank: merged with row 0)"),
    d!(PP, Pay, 8, "UA-PRV-001", "1GD1", "PayPay > Payment Request (Single Payment) > row 8"),
    d!(PP, Pay, 9, OK, "1001", "PayPay > Payment Request (Single Payment) > row 9"),
    // PayPay Other APIs: columns Capture | Cancel | On-Demand Payment.
    d!(PP, Capture, 0, OK, "1001", "PayPay > Other APIs > row 0 > Capture"),
    d!(PP, Capture, 1, OK, "1001", "PayPay > Other APIs > row 1 > Capture (reading: merged with row 0; row 1's single cell is Cancel's)"),
    d!(PP, Capture, 2, OK, "1001", "PayPay > Other APIs > row 2 > Capture (reading: merged with row 0; row 2's single cell is Cancel's)"),
    d!(PP, Capture, 3, "UA-PRV-001", "1GD5", "PayPay > Other APIs > row 3 > Capture"),
    d!(PP, Capture, 4, "UA-PND-002", "1E50", "PayPay > Other APIs > row 4 > Capture (reading: first of row 4's two cells)"),
    d!(PP, Capture, 5, OK, "1001", "PayPay > Other APIs > row 5 > Capture (reading: first of row 5's two cells)"),
    d!(PP, Capture, 6, OK, "1001", "PayPay > Other APIs > row 6 > Capture (reading: merged with row 5)"),
    d!(PP, Capture, 7, OK, "1001", "PayPay > Other APIs > row 7 > Capture (blank: merged with row 5)"),
    d!(PP, Capture, 8, OK, "1001", "PayPay > Other APIs > row 8 > Capture (blank: merged with row 5)"),
    d!(PP, Capture, 9, OK, "1001", "PayPay > Other APIs > row 9 > Capture (blank: merged with row 5)"),
    d!(PP, Cancel, 0, OK, "1001", "PayPay > Other APIs > row 0 > Cancel"),
    d!(PP, Cancel, 1, "UA-PRV-001", "1GD2", "PayPay > Other APIs > row 1 > Cancel (reading: row 1's single cell; Cancel restarts with Success at row 3, so it differs at rows 1-2)"),
    d!(PP, Cancel, 2, "UA-PND-002", "1E50", "PayPay > Other APIs > row 2 > Cancel (reading: row 2's single cell)"),
    d!(PP, Cancel, 3, OK, "1001", "PayPay > Other APIs > row 3 > Cancel"),
    d!(PP, Cancel, 4, OK, "1001", "PayPay > Other APIs > row 4 > Cancel (merged with row 3)"),
    d!(PP, Cancel, 5, OK, "1001", "PayPay > Other APIs > row 5 > Cancel (merged with row 3)"),
    d!(PP, Cancel, 6, OK, "1001", "PayPay > Other APIs > row 6 > Cancel (merged with row 3)"),
    d!(PP, Cancel, 7, OK, "1001", "PayPay > Other APIs > row 7 > Cancel (merged with row 3)"),
    d!(PP, Cancel, 8, OK, "1001", "PayPay > Other APIs > row 8 > Cancel (merged with row 3)"),
    d!(PP, Cancel, 9, OK, "1001", "PayPay > Other APIs > row 9 > Cancel (merged with row 3)"),
    d!(PP, Charge, 0, OK, "1001", "PayPay > Other APIs > row 0 > On-Demand Payment"),
    d!(PP, Charge, 1, OK, "1001", "PayPay > Other APIs > row 1 > On-Demand Payment (merged with row 0)"),
    d!(PP, Charge, 2, OK, "1001", "PayPay > Other APIs > row 2 > On-Demand Payment (merged with row 0)"),
    d!(PP, Charge, 3, "UA-PRV-001", "1GD6", "PayPay > Other APIs > row 3 > On-Demand Payment"),
    d!(PP, Charge, 4, "UA-PND-002", "1E50", "PayPay > Other APIs > row 4 > On-Demand Payment (reading: second of row 4's two cells)"),
    d!(PP, Charge, 5, "UA-CST-001", "1G02", "PayPay > Other APIs > row 5 > On-Demand Payment ※1 (recoveryType=not_recovery)"),
    d!(PP, Charge, 6, OK, "1001", "PayPay > Other APIs > row 6 > On-Demand Payment (reading: row 6's single cell)"),
    d!(PP, Charge, 7, OK, "1001", "PayPay > Other APIs > row 7 > On-Demand Payment (blank: merged with row 6)"),
    d!(PP, Charge, 8, OK, "1001", "PayPay > Other APIs > row 8 > On-Demand Payment (blank: merged with row 6)"),
    d!(PP, Charge, 9, OK, "1001", "PayPay > Other APIs > row 9 > On-Demand Payment (blank: merged with row 6)"),
    d!(PP, ChargeRecovery, 5, "UA-U00-001", "1G21", "PayPay > Other APIs > row 5 > On-Demand Payment ※2 (recoveryType=recovery; later 1001 Success)"),
    // ---------------- Rakuten Pay ----------------
    d!(RK, Pay, 0, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 0"),
    d!(RK, Pay, 1, "UA-PRV-999", "FG90", "Rakuten Pay > Payment Request (Single Payment) > row 1"),
    d!(RK, Pay, 2, "UA-PRV-001", "FG24", "Rakuten Pay > Payment Request (Single Payment) > row 2"),
    d!(RK, Pay, 3, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 3"),
    d!(RK, Pay, 4, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 4 (blank: merged with row 3)"),
    d!(RK, Pay, 5, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 5 (blank: merged with row 3)"),
    d!(RK, Pay, 6, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 6 (blank: merged with row 3)"),
    d!(RK, Pay, 7, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 7 (blank: merged with row 3)"),
    d!(RK, Pay, 8, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 8 (blank: merged with row 3)"),
    d!(RK, Pay, 9, OK, "F001", "Rakuten Pay > Payment Request (Single Payment) > row 9 (blank: merged with row 3)"),
    c!(RK, PayChoice, "success", OK, "F001", Redirect, "Rakuten Pay > Payment Result Selection > Success"),
    c!(RK, PayChoice, "interruption", "UA-PND-002", "FED1", Redirect, "Rakuten Pay > Payment Result Selection > Interruption"),
    c!(RK, PayChoice, "point_fraud", "-", "FG11", StayOnProviderPage, "Rakuten Pay > Payment Result Selection > Failure(Point Fraud) (※ back to the dummy confirmation page, no redirect)"),
    c!(RK, PayChoice, "failure", "UA-PRV-001", "FG24", Redirect, "Rakuten Pay > Payment Result Selection > Failure(Payment Failure)"),
    c!(RK, PayChoice, "maintenance", "UA-PRV-999", "FG90", Redirect, "Rakuten Pay > Payment Result Selection > Failure(Under Maintenance)"),
    Cell { pay_type: RK, stage: Stage::Subscribe, trigger: Trigger::ItemName("fail"), result_code: "UA-PRV-999", v_result_code: "FG90", landing: Landing::Redirect, source: "Rakuten Pay > On-Demand Payment Request > name = fail" },
    Cell { pay_type: RK, stage: Stage::Subscribe, trigger: Trigger::OtherItemName, result_code: OK, v_result_code: "F001", landing: Landing::Redirect, source: "Rakuten Pay > On-Demand Payment Request > name: Other than above" },
    c!(RK, SubscribeChoice, "success", OK, "F001", Redirect, "Rakuten Pay > Payment Request Result Selection > Success"),
    c!(RK, SubscribeChoice, "interruption", "UA-PND-002", "FED1", Redirect, "Rakuten Pay > Payment Request Result Selection > Interruption"),
    c!(RK, SubscribeChoice, "consent_expired", "UA-REQ-006", "FG26", Redirect, "Rakuten Pay > Payment Request Result Selection > Failed (Consent Expired)"),
    // Rakuten Other APIs: Capture Full | Capture Partial | Cancel | Ext | Amount | Ext+Amount | On-Demand.
    // Reading: the last printed cell of every row is On-Demand Payment's; see README for the rest.
    d!(RK, Capture, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Capture Full Amount"),
    d!(RK, Capture, 1, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 1 > Capture Full Amount (reading: row 1 cell 1)"),
    d!(RK, Capture, 2, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 2 > Capture Full Amount (reading: row 2 cell 1)"),
    d!(RK, Capture, 3, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 3 > Capture Full Amount (reading: merged with row 2)"),
    d!(RK, Capture, 4, OK, "F001", "Rakuten Pay > Other APIs > row 4 > Capture Full Amount (reading: row 4 cell 1)"),
    d!(RK, Capture, 5, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 5 > Capture Full Amount (reading: row 5 cell 1)"),
    d!(RK, Capture, 6, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 6 > Capture Full Amount (reading: merged with row 5)"),
    d!(RK, Capture, 7, OK, "F001", "Rakuten Pay > Other APIs > row 7 > Capture Full Amount (reading: row 7 cell 1)"),
    d!(RK, Capture, 8, "UA-REQ-006", "FG26", "Rakuten Pay > Other APIs > row 8 > Capture Full Amount (reading: row 8 cell 1)"),
    d!(RK, Capture, 9, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 9 > Capture Full Amount (reading: row 9 cell 1)"),
    d!(RK, CapturePartial, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Capture Partial"),
    d!(RK, CapturePartial, 1, OK, "F001", "Rakuten Pay > Other APIs > row 1 > Capture Partial (reading: merged with row 0)"),
    d!(RK, CapturePartial, 2, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 2 > Capture Partial (reading: row 2 cell 2)"),
    d!(RK, CapturePartial, 3, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 3 > Capture Partial (reading: merged with row 2)"),
    d!(RK, CapturePartial, 4, OK, "F001", "Rakuten Pay > Other APIs > row 4 > Capture Partial (reading: row 4 cell 2)"),
    d!(RK, CapturePartial, 5, OK, "F001", "Rakuten Pay > Other APIs > row 5 > Capture Partial (reading: merged with row 4)"),
    d!(RK, CapturePartial, 6, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 6 > Capture Partial (reading: row 6 cell 1)"),
    d!(RK, CapturePartial, 7, "UA-REQ-006", "FG26", "Rakuten Pay > Other APIs > row 7 > Capture Partial (reading: row 7 cell 2)"),
    d!(RK, CapturePartial, 8, "UA-PRV-001", "FG29", "Rakuten Pay > Other APIs > row 8 > Capture Partial (reading: row 8 cell 2)"),
    d!(RK, CapturePartial, 9, OK, "F001", "Rakuten Pay > Other APIs > row 9 > Capture Partial (reading: row 9 cell 2)"),
    d!(RK, Cancel, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Cancel"),
    d!(RK, Cancel, 1, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 1 > Cancel (reading: row 1 cell 2)"),
    d!(RK, Cancel, 2, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 2 > Cancel (reading: row 2 cell 3)"),
    d!(RK, Cancel, 3, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 3 > Cancel (reading: merged with row 2)"),
    d!(RK, Cancel, 4, OK, "F001", "Rakuten Pay > Other APIs > row 4 > Cancel (reading: row 4 cell 3)"),
    d!(RK, Cancel, 5, OK, "F001", "Rakuten Pay > Other APIs > row 5 > Cancel (reading: merged with row 4)"),
    d!(RK, Cancel, 6, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 6 > Cancel (reading: row 6 cell 2)"),
    d!(RK, Cancel, 7, OK, "F001", "Rakuten Pay > Other APIs > row 7 > Cancel (reading: row 7 cell 3)"),
    d!(RK, Cancel, 8, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 8 > Cancel (reading: row 8 cell 3)"),
    d!(RK, Cancel, 9, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 9 > Cancel (reading: row 9 cell 3)"),
    d!(RK, UpdateExtension, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Authorization Extension"),
    d!(RK, UpdateExtension, 1, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 1 > Authorization Extension (reading: row 1 cell 3)"),
    d!(RK, UpdateExtension, 2, OK, "F001", "Rakuten Pay > Other APIs > row 2 > Authorization Extension (reading: row 2 cell 4)"),
    d!(RK, UpdateExtension, 3, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 3 > Authorization Extension (reading: row 3 cell 1)"),
    d!(RK, UpdateExtension, 4, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 4 > Authorization Extension (reading: merged with row 3)"),
    d!(RK, UpdateExtension, 5, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 5 > Authorization Extension (reading: merged with row 3)"),
    d!(RK, UpdateExtension, 6, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 6 > Authorization Extension (reading: merged with row 3)"),
    d!(RK, UpdateExtension, 7, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 7 > Authorization Extension (reading: row 7 cell 4)"),
    d!(RK, UpdateExtension, 8, "UA-REQ-006", "FG26", "Rakuten Pay > Other APIs > row 8 > Authorization Extension (reading: row 8 cell 4)"),
    d!(RK, UpdateExtension, 9, "UA-REQ-006", "FG26", "Rakuten Pay > Other APIs > row 9 > Authorization Extension (reading: merged with row 8)"),
    d!(RK, UpdateAmount, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Amount change"),
    d!(RK, UpdateAmount, 1, OK, "F001", "Rakuten Pay > Other APIs > row 1 > Amount change (reading: merged with row 0)"),
    d!(RK, UpdateAmount, 2, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 2 > Amount change (reading: row 2 cell 5)"),
    d!(RK, UpdateAmount, 3, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 3 > Amount change (reading: merged with row 2)"),
    d!(RK, UpdateAmount, 4, OK, "F001", "Rakuten Pay > Other APIs > row 4 > Amount change (reading: row 4 cell 4)"),
    d!(RK, UpdateAmount, 5, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 5 > Amount change (reading: row 5 cell 2)"),
    d!(RK, UpdateAmount, 6, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 6 > Amount change (reading: row 6 cell 3)"),
    d!(RK, UpdateAmount, 7, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 7 > Amount change (reading: row 7 cell 5)"),
    d!(RK, UpdateAmount, 8, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 8 > Amount change (reading: merged with row 7)"),
    d!(RK, UpdateAmount, 9, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 9 > Amount change (reading: merged with row 7)"),
    d!(RK, UpdateExtensionAndAmount, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > Authorization Extension + Amount Change"),
    d!(RK, UpdateExtensionAndAmount, 1, OK, "F001", "Rakuten Pay > Other APIs > row 1 > Authorization Extension + Amount Change (reading: merged with row 0)"),
    d!(RK, UpdateExtensionAndAmount, 2, OK, "F001", "Rakuten Pay > Other APIs > row 2 > Authorization Extension + Amount Change (reading: merged with row 0)"),
    d!(RK, UpdateExtensionAndAmount, 3, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 3 > Authorization Extension + Amount Change (reading: row 3 cell 2)"),
    d!(RK, UpdateExtensionAndAmount, 4, OK, "F001", "Rakuten Pay > Other APIs > row 4 > Authorization Extension + Amount Change (reading: row 4 cell 5)"),
    d!(RK, UpdateExtensionAndAmount, 5, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 5 > Authorization Extension + Amount Change (reading: row 5 cell 3)"),
    d!(RK, UpdateExtensionAndAmount, 6, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 6 > Authorization Extension + Amount Change (reading: merged with row 5)"),
    d!(RK, UpdateExtensionAndAmount, 7, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 7 > Authorization Extension + Amount Change (reading: merged with row 5)"),
    d!(RK, UpdateExtensionAndAmount, 8, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 8 > Authorization Extension + Amount Change (reading: merged with row 5)"),
    d!(RK, UpdateExtensionAndAmount, 9, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 9 > Authorization Extension + Amount Change (reading: merged with row 5)"),
    d!(RK, Charge, 0, OK, "F001", "Rakuten Pay > Other APIs > row 0 > On-Demand Payment"),
    d!(RK, Charge, 1, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 1 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 2, "UA-SYS-004", "FED2", "Rakuten Pay > Other APIs > row 2 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 3, OK, "F001", "Rakuten Pay > Other APIs > row 3 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 4, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 4 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 5, "UA-PRV-001", "FG30", "Rakuten Pay > Other APIs > row 5 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 6, "UA-PRV-999", "FG90", "Rakuten Pay > Other APIs > row 6 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 7, "UA-PRV-001", "FG24", "Rakuten Pay > Other APIs > row 7 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 8, "UA-PRV-001", "FG29", "Rakuten Pay > Other APIs > row 8 > On-Demand Payment (reading: last cell of the row)"),
    d!(RK, Charge, 9, "UA-PND-002", "FED1", "Rakuten Pay > Other APIs > row 9 > On-Demand Payment (reading: last cell of the row)"),
    // ---------------- docomo ----------------
    c!(DC, PayChoice, "success", OK, "W001", Redirect, "Docomo > Payment Request (Single Payment) > Other than above"),
    c!(DC, PayChoice, "cancel", "UA-CST-002", "WGU1", Redirect, "Docomo > Payment Request (Single Payment) > Purchase Cancellation"),
    c!(DC, SubscribeChoice, "success", OK, "W001", Redirect, "Docomo > On-Demand Payment Request > Other than above"),
    c!(DC, SubscribeChoice, "cancel", "UA-CST-002", "WGU1", Redirect, "Docomo > On-Demand Payment Request > Purchase Cancellation"),
    // docomo Other APIs: Capture | Cancel | third column (printed "Change Payment Request"; read as On-Demand Payment, which the text above the table names and docomo supports).
    d!(DC, Capture, 0, OK, "W001", "Docomo > Other APIs > row 0 > Capture"),
    d!(DC, Capture, 1, OK, "W001", "Docomo > Other APIs > row 1 > Capture (blank: merged with row 0)"),
    d!(DC, Capture, 2, OK, "W001", "Docomo > Other APIs > row 2 > Capture (reading: merged with row 0; row 2's cell is Cancel's)"),
    d!(DC, Capture, 3, "UA-PRV-001", "WG02", "Docomo > Other APIs > row 3 > Capture (reading: row 3 cell 1)"),
    d!(DC, Capture, 4, OK, "W001", "Docomo > Other APIs > row 4 > Capture (reading: row 4 cell 1)"),
    d!(DC, Capture, 5, OK, "W001", "Docomo > Other APIs > row 5 > Capture (reading: merged with row 4)"),
    d!(DC, Capture, 6, OK, "W001", "Docomo > Other APIs > row 6 > Capture (reading: merged with row 4)"),
    d!(DC, Capture, 7, OK, "W001", "Docomo > Other APIs > row 7 > Capture (reading: merged with row 4)"),
    d!(DC, Capture, 8, OK, "W001", "Docomo > Other APIs > row 8 > Capture (reading: merged with row 4)"),
    d!(DC, Capture, 9, OK, "W001", "Docomo > Other APIs > row 9 > Capture (reading: merged with row 4)"),
    d!(DC, Cancel, 0, OK, "W001", "Docomo > Other APIs > row 0 > Cancel"),
    d!(DC, Cancel, 1, OK, "W001", "Docomo > Other APIs > row 1 > Cancel (blank: merged with row 0)"),
    d!(DC, Cancel, 2, "UA-PRV-001", "WG02", "Docomo > Other APIs > row 2 > Cancel (reading: row 2's single cell)"),
    d!(DC, Cancel, 3, OK, "W001", "Docomo > Other APIs > row 3 > Cancel (reading: row 3 cell 2)"),
    d!(DC, Cancel, 4, OK, "W001", "Docomo > Other APIs > row 4 > Cancel (reading: merged with row 3)"),
    d!(DC, Cancel, 5, OK, "W001", "Docomo > Other APIs > row 5 > Cancel (reading: merged with row 3)"),
    d!(DC, Cancel, 6, OK, "W001", "Docomo > Other APIs > row 6 > Cancel (reading: merged with row 3)"),
    d!(DC, Cancel, 7, OK, "W001", "Docomo > Other APIs > row 7 > Cancel (reading: merged with row 3)"),
    d!(DC, Cancel, 8, OK, "W001", "Docomo > Other APIs > row 8 > Cancel (reading: merged with row 3)"),
    d!(DC, Cancel, 9, OK, "W001", "Docomo > Other APIs > row 9 > Cancel (reading: merged with row 3)"),
    d!(DC, Charge, 0, OK, "W001", "Docomo > Other APIs > row 0 > third column"),
    d!(DC, Charge, 1, OK, "W001", "Docomo > Other APIs > row 1 > third column (blank: merged with row 0)"),
    d!(DC, Charge, 2, OK, "W001", "Docomo > Other APIs > row 2 > third column (reading: merged with row 0)"),
    d!(DC, Charge, 3, OK, "W001", "Docomo > Other APIs > row 3 > third column (reading: merged with row 0)"),
    d!(DC, Charge, 4, "UA-PRV-001", "WA02", "Docomo > Other APIs > row 4 > third column (reading: row 4 cell 2)"),
    d!(DC, Charge, 5, "UA-CST-001", "WG12", "Docomo > Other APIs > row 5 > third column (reading: row 5's single cell)"),
    d!(DC, Charge, 6, "UA-SYS-002", "WG05", "Docomo > Other APIs > row 6 > third column (reading: row 6's single cell)"),
    d!(DC, Charge, 7, "UA-PRV-001", "WG02", "Docomo > Other APIs > row 7 > third column (reading: row 7's single cell)"),
    d!(DC, Charge, 8, "UA-CST-001", "WG04", "Docomo > Other APIs > row 8 > third column (reading: row 8's single cell)"),
    d!(DC, Charge, 9, OK, "W001", "Docomo > Other APIs > row 9 > third column (reading: row 9's single cell)"),
    // ---------------- au ----------------
    d!(AU, Pay, 0, OK, "W001", "au > Payment Request (Single Payment) > row 0"),
    d!(AU, Pay, 1, OK, "W001", "au > Payment Request (Single Payment) > row 1 (blank: merged with row 0)"),
    d!(AU, Pay, 2, OK, "W001", "au > Payment Request (Single Payment) > row 2 (blank: merged with row 0)"),
    d!(AU, Pay, 3, OK, "W001", "au > Payment Request (Single Payment) > row 3 (blank: merged with row 0)"),
    d!(AU, Pay, 4, OK, "W001", "au > Payment Request (Single Payment) > row 4 (blank: merged with row 0)"),
    d!(AU, Pay, 5, "UA-PRV-001", "WG02", "au > Payment Request (Single Payment) > row 5"),
    d!(AU, Pay, 6, "UA-CST-001", "WG04", "au > Payment Request (Single Payment) > row 6"),
    d!(AU, Pay, 7, "UA-PRV-001", "WG02", "au > Payment Request (Single Payment) > row 7"),
    d!(AU, Pay, 8, "UA-CST-001", "WG04", "au > Payment Request (Single Payment) > row 8"),
    d!(AU, Pay, 9, OK, "W001", "au > Payment Request (Single Payment) > row 9"),
    c!(AU, PayChoice, "success", OK, "W001", Redirect, "au > ID authentication method > Other than above"),
    c!(AU, PayChoice, "cancel", "UA-CST-002", "WGU1", Redirect, "au > ID authentication method > Cancel"),
    c!(AU, PayChoice, "app_success", OK, "W001", Redirect, "au > application authentication method > Normal + Payment Success"),
    c!(AU, PayChoice, "app_failure", "UA-PRV-001", "-", Redirect, "au > application authentication method > Normal + Payment Failure"),
    c!(AU, PayChoice, "app_cancel", "UA-CST-002", "-", Redirect, "au > application authentication method > Normal + Cancel"),
    c!(AU, PayChoice, "redirect_failure_success", OK, "W001", RedirectFailsFinalized, "au > application authentication method > Redirect failure from auPAY app + Payment Success (※ value is the Get Transaction Result answer)"),
    c!(AU, PayChoice, "redirect_failure_failure", "UA-U00-001", "-", RedirectFailsPending, "au > application authentication method > Redirect failure from auPAY app + Payment failure"),
    c!(AU, PayChoice, "redirect_failure_cancel", "UA-U00-001", "-", RedirectFailsPending, "au > application authentication method > Redirect failure from auPAY app + Cancel (blank: merged with Payment failure)"),
    c!(AU, SubscribeChoice, "success", OK, "W001", Redirect, "au > On-Demand Payment Request > Other than above"),
    c!(AU, SubscribeChoice, "cancel", "UA-CST-002", "WGU1", Redirect, "au > On-Demand Payment Request > Cancel"),
    // au Other APIs: Capture | Cancel | Change Payment Request | On-Demand Payment.
    d!(AU, Capture, 0, OK, "W001", "au > Other APIs > row 0 > Capture"),
    d!(AU, Capture, 1, "UA-CST-001", "WG04", "au > Other APIs > row 1 > Capture (reading: row 1's single cell)"),
    d!(AU, Capture, 2, "UA-PRV-001", "WG02", "au > Other APIs > row 2 > Capture (reading: row 2 cell 1)"),
    d!(AU, Capture, 3, OK, "W001", "au > Other APIs > row 3 > Capture (reading: row 3 cell 1)"),
    d!(AU, Capture, 4, OK, "W001", "au > Other APIs > row 4 > Capture (reading: merged with row 3)"),
    d!(AU, Capture, 5, OK, "W001", "au > Other APIs > row 5 > Capture (reading: merged with row 3)"),
    d!(AU, Capture, 6, OK, "W001", "au > Other APIs > row 6 > Capture (reading: merged with row 3)"),
    d!(AU, Capture, 7, OK, "W001", "au > Other APIs > row 7 > Capture (reading: merged with row 3)"),
    d!(AU, Capture, 8, OK, "W001", "au > Other APIs > row 8 > Capture (reading: merged with row 3)"),
    d!(AU, Capture, 9, OK, "W001", "au > Other APIs > row 9 > Capture (reading: merged with row 3)"),
    d!(AU, Cancel, 0, OK, "W001", "au > Other APIs > row 0 > Cancel"),
    d!(AU, Cancel, 1, OK, "W001", "au > Other APIs > row 1 > Cancel (reading: merged with row 0)"),
    d!(AU, Cancel, 2, OK, "W001", "au > Other APIs > row 2 > Cancel (reading: merged with row 0)"),
    d!(AU, Cancel, 3, "UA-PRV-001", "WG02", "au > Other APIs > row 3 > Cancel (reading: row 3 cell 2)"),
    d!(AU, Cancel, 4, OK, "W001", "au > Other APIs > row 4 > Cancel (reading: row 4's single cell)"),
    d!(AU, Cancel, 5, OK, "W001", "au > Other APIs > row 5 > Cancel (reading: merged with row 4)"),
    d!(AU, Cancel, 6, OK, "W001", "au > Other APIs > row 6 > Cancel (reading: merged with row 4)"),
    d!(AU, Cancel, 7, OK, "W001", "au > Other APIs > row 7 > Cancel (reading: merged with row 4)"),
    d!(AU, Cancel, 8, OK, "W001", "au > Other APIs > row 8 > Cancel (reading: merged with row 4)"),
    d!(AU, Cancel, 9, OK, "W001", "au > Other APIs > row 9 > Cancel (reading: merged with row 4)"),
    d!(AU, UpdateAmount, 0, OK, "W001", "au > Other APIs > row 0 > Change Payment Request"),
    d!(AU, UpdateAmount, 1, OK, "W001", "au > Other APIs > row 1 > Change Payment Request (reading: merged with row 0)"),
    d!(AU, UpdateAmount, 2, "UA-CST-001", "WG35", "au > Other APIs > row 2 > Change Payment Request (reading: row 2 cell 2)"),
    d!(AU, UpdateAmount, 3, OK, "W001", "au > Other APIs > row 3 > Change Payment Request (reading: row 3 cell 3)"),
    d!(AU, UpdateAmount, 4, OK, "W001", "au > Other APIs > row 4 > Change Payment Request (reading: merged with row 3)"),
    d!(AU, UpdateAmount, 5, "-", "-", "au > Other APIs > row 5 > Change Payment Request (reading: the '- -' cell; simulated as success)"),
    d!(AU, UpdateAmount, 6, "-", "-", "au > Other APIs > row 6 > Change Payment Request (reading: merged with row 5's '- -'; simulated as success)"),
    d!(AU, UpdateAmount, 7, "-", "-", "au > Other APIs > row 7 > Change Payment Request (reading: merged with row 5's '- -'; simulated as success)"),
    d!(AU, UpdateAmount, 8, "-", "-", "au > Other APIs > row 8 > Change Payment Request (reading: merged with row 5's '- -'; simulated as success)"),
    d!(AU, UpdateAmount, 9, OK, "W001", "au > Other APIs > row 9 > Change Payment Request (reading: row 9 cell 1)"),
    d!(AU, Charge, 0, OK, "W001", "au > Other APIs > row 0 > On-Demand Payment"),
    d!(AU, Charge, 1, OK, "W001", "au > Other APIs > row 1 > On-Demand Payment (reading: merged with row 0)"),
    d!(AU, Charge, 2, OK, "W001", "au > Other APIs > row 2 > On-Demand Payment (reading: merged with row 0)"),
    d!(AU, Charge, 3, OK, "W001", "au > Other APIs > row 3 > On-Demand Payment (reading: merged with row 0)"),
    d!(AU, Charge, 4, OK, "W001", "au > Other APIs > row 4 > On-Demand Payment (reading: merged with row 0)"),
    d!(AU, Charge, 5, "UA-PRV-001", "WG02", "au > Other APIs > row 5 > On-Demand Payment (reading: row 5 cell 2; same pattern as au Payment Request rows 5-9)"),
    d!(AU, Charge, 6, "UA-CST-001", "WG04", "au > Other APIs > row 6 > On-Demand Payment (reading: row 6's single cell)"),
    d!(AU, Charge, 7, "UA-PRV-001", "WG02", "au > Other APIs > row 7 > On-Demand Payment (reading: row 7's single cell)"),
    d!(AU, Charge, 8, "UA-CST-001", "WG04", "au > Other APIs > row 8 > On-Demand Payment (reading: row 8's single cell)"),
    d!(AU, Charge, 9, OK, "W001", "au > Other APIs > row 9 > On-Demand Payment (reading: row 9 cell 2)"),
    // ---------------- Merpay ----------------
    d!(MP, Pay, 0, OK, "K001", "Merpay > Payment Request (Single Payment) > row 0"),
    d!(MP, Pay, 1, "UA-PRV-001", "KG10", "Merpay > Payment Request (Single Payment) > row 1"),
    d!(MP, Pay, 2, OK, "K001", "Merpay > Payment Request (Single Payment) > row 2"),
    d!(MP, Pay, 3, OK, "K001", "Merpay > Payment Request (Single Payment) > row 3 (blank: merged with row 2)"),
    d!(MP, Pay, 4, OK, "K001", "Merpay > Payment Request (Single Payment) > row 4 (blank: merged with row 2)"),
    d!(MP, Pay, 5, OK, "K001", "Merpay > Payment Request (Single Payment) > row 5 (blank: merged with row 2)"),
    d!(MP, Pay, 6, OK, "K001", "Merpay > Payment Request (Single Payment) > row 6 (blank: merged with row 2)"),
    d!(MP, Pay, 7, "UA-PRV-999", "KG11", "Merpay > Payment Request (Single Payment) > row 7"),
    d!(MP, Pay, 8, OK, "K001", "Merpay > Payment Request (Single Payment) > row 8"),
    d!(MP, Pay, 9, OK, "K001", "Merpay > Payment Request (Single Payment) > row 9 (blank: merged with row 8)"),
    c!(MP, PayChoice, "success", OK, "K001", Redirect, "Merpay > Allow + Pay + Success"),
    c!(MP, PayChoice, "deemed_success_no_notification", OK, "K003", Redirect, "Merpay > Allow + Pay + Deemed success (result notification from Mercari is not received) (blank resultCode: merged with UA-000-001 above)"),
    c!(MP, PayChoice, "deemed_success_confirmation_error", OK, "K003", Redirect, "Merpay > Allow + Pay + Deemed success (error in payment confirmation process) (blank resultCode: merged)"),
    c!(MP, PayChoice, "redirect_error", OK, "K001", RedirectFailsFinalized, "Merpay > Allow + Pay + Failure (Error in redirect * Result notification is successful) (blank resultCode: merged)"),
    c!(MP, PayChoice, "cancel", "UA-CST-001", "KGU1", Redirect, "Merpay > Allow + Cancel + - (Other than failure)"),
    c!(MP, PayChoice, "cancel_redirect_error", OK, "K001", RedirectFailsFinalized, "Merpay > Allow + Cancel + Failure (Error in redirect * Result notification is successful)"),
    c!(MP, PayChoice, "deny", "UA-CST-001", "KGU1", Redirect, "Merpay > Access Permission Page Cancel"),
    c!(MP, SubscribeChoice, "success", OK, "K001", Redirect, "Merpay > On-Demand Payment Request: same as Single Payment > Allow + Pay + Success"),
    c!(MP, SubscribeChoice, "deemed_success_no_notification", OK, "K003", Redirect, "Merpay > On-Demand Payment Request: same as Single Payment > Deemed success (no notification)"),
    c!(MP, SubscribeChoice, "deemed_success_confirmation_error", OK, "K003", Redirect, "Merpay > On-Demand Payment Request: same as Single Payment > Deemed success (confirmation error)"),
    c!(MP, SubscribeChoice, "redirect_error", OK, "K001", RedirectFailsFinalized, "Merpay > On-Demand Payment Request: same as Single Payment > Failure (Error in redirect)"),
    c!(MP, SubscribeChoice, "cancel", "UA-CST-001", "KGU1", Redirect, "Merpay > On-Demand Payment Request: same as Single Payment > Allow + Cancel"),
    c!(MP, SubscribeChoice, "cancel_redirect_error", OK, "K001", RedirectFailsFinalized, "Merpay > On-Demand Payment Request: same as Single Payment > Allow + Cancel + Failure (Error in redirect)"),
    c!(MP, SubscribeChoice, "deny", "UA-CST-001", "KGU1", Redirect, "Merpay > On-Demand Payment Request: same as Single Payment > Access Permission Page Cancel"),
    // Merpay Other APIs: Capture | Cancel before capture | Cancel after capture | On-Demand Payment.
    d!(MP, Capture, 0, OK, "K001", "Merpay > Other APIs > row 0 > Capture"),
    d!(MP, Capture, 1, "-", "-", "Merpay > Other APIs > row 1 > Capture (reading: row 1 cell 1 '- -'; simulated as success)"),
    d!(MP, Capture, 2, OK, "K001", "Merpay > Other APIs > row 2 > Capture (reading: row 2 cell 1)"),
    d!(MP, Capture, 3, OK, "K001", "Merpay > Other APIs > row 3 > Capture (reading: merged with row 2)"),
    d!(MP, Capture, 4, "UA-CST-001", "KG15", "Merpay > Other APIs > row 4 > Capture (reading: row 4's single cell)"),
    d!(MP, Capture, 5, "UA-PRV-001", "KG10", "Merpay > Other APIs > row 5 > Capture (reading: row 5 cell 1)"),
    d!(MP, Capture, 6, "UA-PND-003", "KED1", "Merpay > Other APIs > row 6 > Capture (reading: row 6 cell 1)"),
    d!(MP, Capture, 7, OK, "K001", "Merpay > Other APIs > row 7 > Capture"),
    d!(MP, Capture, 8, "UA-PRV-999", "KG11", "Merpay > Other APIs > row 8 > Capture"),
    d!(MP, Capture, 9, OK, "K001", "Merpay > Other APIs > row 9 > Capture (reading: row 9 cell 1)"),
    d!(MP, CancelBeforeCapture, 0, OK, "K001", "Merpay > Other APIs > row 0 > Cancel Before capture"),
    d!(MP, CancelBeforeCapture, 1, "UA-PRV-001", "KG10", "Merpay > Other APIs > row 1 > Cancel Before capture (reading: row 1 cell 2)"),
    d!(MP, CancelBeforeCapture, 2, "UA-PND-003", "KED1", "Merpay > Other APIs > row 2 > Cancel Before capture (reading: row 2 cell 2)"),
    d!(MP, CancelBeforeCapture, 3, OK, "K001", "Merpay > Other APIs > row 3 > Cancel Before capture (reading: row 3 cell 1)"),
    d!(MP, CancelBeforeCapture, 4, OK, "K001", "Merpay > Other APIs > row 4 > Cancel Before capture (reading: merged with row 3)"),
    d!(MP, CancelBeforeCapture, 5, "UA-PRV-001", "KG10", "Merpay > Other APIs > row 5 > Cancel Before capture (reading: row 5 cell 2)"),
    d!(MP, CancelBeforeCapture, 6, "UA-PND-003", "KED1", "Merpay > Other APIs > row 6 > Cancel Before capture (reading: row 6 cell 2)"),
    d!(MP, CancelBeforeCapture, 7, "-", "-", "Merpay > Other APIs > row 7 > Cancel Before capture ('- -'; simulated as success)"),
    d!(MP, CancelBeforeCapture, 8, "UA-PRV-999", "KG11", "Merpay > Other APIs > row 8 > Cancel Before capture"),
    d!(MP, CancelBeforeCapture, 9, OK, "K001", "Merpay > Other APIs > row 9 > Cancel Before capture (reading: row 9 cell 2)"),
    d!(MP, Cancel, 0, OK, "K001", "Merpay > Other APIs > row 0 > Cancel After capture"),
    d!(MP, Cancel, 1, OK, "K001", "Merpay > Other APIs > row 1 > Cancel After capture (reading: merged with row 0)"),
    d!(MP, Cancel, 2, OK, "K001", "Merpay > Other APIs > row 2 > Cancel After capture (reading: merged with row 0)"),
    d!(MP, Cancel, 3, "UA-PRV-002", "KG19", "Merpay > Other APIs > row 3 > Cancel After capture (reading: row 3 cell 2)"),
    d!(MP, Cancel, 4, "UA-PRV-002", "KG19", "Merpay > Other APIs > row 4 > Cancel After capture (reading: merged with row 3)"),
    d!(MP, Cancel, 5, OK, "K001", "Merpay > Other APIs > row 5 > Cancel After capture (reading: row 5 cell 3)"),
    d!(MP, Cancel, 6, OK, "K001", "Merpay > Other APIs > row 6 > Cancel After capture (reading: merged with row 5)"),
    d!(MP, Cancel, 7, "UA-PRV-999", "KG11", "Merpay > Other APIs > row 7 > Cancel After capture"),
    d!(MP, Cancel, 8, OK, "K001", "Merpay > Other APIs > row 8 > Cancel After capture"),
    d!(MP, Cancel, 9, OK, "K001", "Merpay > Other APIs > row 9 > Cancel After capture (reading: merged with row 8)"),
    d!(MP, Charge, 0, OK, "K001", "Merpay > Other APIs > row 0 > On-Demand Payment"),
    d!(MP, Charge, 1, "UA-PRV-001", "KG10", "Merpay > Other APIs > row 1 > On-Demand Payment (reading: row 1 cell 3; same as Merpay Payment Request row 1)"),
    d!(MP, Charge, 2, OK, "K001", "Merpay > Other APIs > row 2 > On-Demand Payment (reading: row 2 cell 3)"),
    d!(MP, Charge, 3, OK, "K001", "Merpay > Other APIs > row 3 > On-Demand Payment (reading: merged with row 2)"),
    d!(MP, Charge, 4, OK, "K001", "Merpay > Other APIs > row 4 > On-Demand Payment (reading: merged with row 2)"),
    d!(MP, Charge, 5, OK, "K001", "Merpay > Other APIs > row 5 > On-Demand Payment (reading: merged with row 2)"),
    d!(MP, Charge, 6, OK, "K001", "Merpay > Other APIs > row 6 > On-Demand Payment (reading: merged with row 2)"),
    d!(MP, Charge, 7, "UA-PRV-999", "KG11", "Merpay > Other APIs > row 7 > On-Demand Payment"),
    d!(MP, Charge, 8, OK, "K001", "Merpay > Other APIs > row 8 > On-Demand Payment"),
    d!(MP, Charge, 9, OK, "K001", "Merpay > Other APIs > row 9 > On-Demand Payment (blank: merged with row 8)"),
];

/// The cell for `(pay_type, stage, last digit)`, if the reference has a table.
pub fn by_digit(pay_type: PayType, stage: Stage, digit: u8) -> Option<&'static Cell> {
    CELLS.iter().find(|c| {
        c.pay_type == pay_type && c.stage == stage && c.trigger == Trigger::LastDigit(digit)
    })
}

/// The cell for a consumer choice, if the provider offers it.
pub fn by_choice(pay_type: PayType, stage: Stage, choice: &str) -> Option<&'static Cell> {
    CELLS.iter().find(|c| {
        c.pay_type == pay_type
            && c.stage == stage
            && matches!(c.trigger, Trigger::Choice(x) if x == choice)
    })
}

/// The choices the dummy page of `pay_type` offers at `stage`.
pub fn choices(pay_type: PayType, stage: Stage) -> Vec<&'static str> {
    CELLS
        .iter()
        .filter(|c| c.pay_type == pay_type && c.stage == stage)
        .filter_map(|c| match c.trigger {
            Trigger::Choice(x) => Some(x),
            _ => None,
        })
        .collect()
}

/// The cell for Rakuten's subscribe item-name table.
pub fn by_item_name(pay_type: PayType, name: Option<&str>) -> Option<&'static Cell> {
    let hit = CELLS.iter().find(|c| {
        c.pay_type == pay_type
            && c.stage == Stage::Subscribe
            && matches!(c.trigger, Trigger::ItemName(n) if Some(n) == name)
    });
    hit.or_else(|| {
        CELLS.iter().find(|c| {
            c.pay_type == pay_type
                && c.stage == Stage::Subscribe
                && c.trigger == Trigger::OtherItemName
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_tables_are_complete() {
        let full: &[(PayType, Stage)] = &[
            (PP, Stage::Pay),
            (PP, Stage::Capture),
            (PP, Stage::Cancel),
            (PP, Stage::Charge),
            (RK, Stage::Pay),
            (RK, Stage::Capture),
            (RK, Stage::CapturePartial),
            (RK, Stage::Cancel),
            (RK, Stage::UpdateExtension),
            (RK, Stage::UpdateAmount),
            (RK, Stage::UpdateExtensionAndAmount),
            (RK, Stage::Charge),
            (DC, Stage::Capture),
            (DC, Stage::Cancel),
            (DC, Stage::Charge),
            (AU, Stage::Pay),
            (AU, Stage::Capture),
            (AU, Stage::Cancel),
            (AU, Stage::UpdateAmount),
            (AU, Stage::Charge),
            (MP, Stage::Pay),
            (MP, Stage::Capture),
            (MP, Stage::CancelBeforeCapture),
            (MP, Stage::Cancel),
            (MP, Stage::Charge),
        ];
        for &(p, s) in full {
            for d in 0..10 {
                assert!(by_digit(p, s, d).is_some(), "{p} {s:?} {d}");
            }
        }
        // No duplicate keys.
        for (i, a) in CELLS.iter().enumerate() {
            for b in &CELLS[i + 1..] {
                assert!(
                    !(a.pay_type == b.pay_type && a.stage == b.stage && a.trigger == b.trigger),
                    "{}",
                    a.source
                );
            }
        }
    }
}

// ---- rules model (copied verbatim from xtask/src/templates/rules_model.rs) ----

/// A merchant-to-API command of the Unified API (one `POST` operation each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    /// `pay` — Payment Request.
    Pay,
    /// `subscribe` — On-Demand Payment Request (creates an original order).
    Subscribe,
    /// `updateOrder` — Payment Request Change.
    UpdateOrder,
    /// `capture` — Capture.
    Capture,
    /// `cancel` — Cancel (full cancel or partial refund).
    Cancel,
    /// `charge` — On-Demand Payment against an original order.
    Charge,
    /// `terminate` — Cancellation of Contract.
    Terminate,
    /// `getTransactionResult` — Get Transaction Result.
    GetTransactionResult,
}

impl Command {
    /// Every command, in the reference's order.
    pub const ALL: [Command; 8] = [
        Command::Pay,
        Command::Subscribe,
        Command::UpdateOrder,
        Command::Capture,
        Command::Cancel,
        Command::Charge,
        Command::Terminate,
        Command::GetTransactionResult,
    ];

    /// The command name as used in the operation path and operationId (`updateOrder`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Command::Pay => "pay",
            Command::Subscribe => "subscribe",
            Command::UpdateOrder => "updateOrder",
            Command::Capture => "capture",
            Command::Cancel => "cancel",
            Command::Charge => "charge",
            Command::Terminate => "terminate",
            Command::GetTransactionResult => "getTransactionResult",
        }
    }

    /// The name the API uses for this command inside webhook and redirect payloads
    /// (`transaction.command`, `command=`): `update_order` for [`Command::UpdateOrder`];
    /// `None` for `getTransactionResult`, which is never reported there.
    pub const fn notification_name(self) -> Option<&'static str> {
        match self {
            Command::UpdateOrder => Some("update_order"),
            Command::GetTransactionResult => None,
            other => Some(other.as_str()),
        }
    }

    /// Parses a command name; accepts the path form (`updateOrder`) and the
    /// notification form (`update_order`).
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL
            .into_iter()
            .find(|c| c.as_str() == name || c.notification_name() == Some(name))
    }

    /// `true` for commands that change money or contract state (everything but
    /// `getTransactionResult`).
    pub const fn is_mutating(self) -> bool {
        !matches!(self, Command::GetTransactionResult)
    }
}

impl core::fmt::Display for Command {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment provider (`order.payType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PayType {
    /// `paypay` — PayPay.
    Paypay,
    /// `rakuten` — Rakuten Pay.
    Rakuten,
    /// `docomo` — d払い (d Payment).
    Docomo,
    /// `au` — au PAY (au Easy Payment, Online payment web and app methods).
    Au,
    /// `merpay` — Merpay.
    Merpay,
}

impl PayType {
    /// Every provider, in the reference's order.
    pub const ALL: [PayType; 5] = [
        PayType::Paypay,
        PayType::Rakuten,
        PayType::Docomo,
        PayType::Au,
        PayType::Merpay,
    ];

    /// The wire value of `payType`.
    pub const fn as_str(self) -> &'static str {
        match self {
            PayType::Paypay => "paypay",
            PayType::Rakuten => "rakuten",
            PayType::Docomo => "docomo",
            PayType::Au => "au",
            PayType::Merpay => "merpay",
        }
    }

    /// The provider's name as the reference's badges print it.
    pub const fn display_name(self) -> &'static str {
        match self {
            PayType::Paypay => "PayPay",
            PayType::Rakuten => "Rakuten Pay",
            PayType::Docomo => "Docomo",
            PayType::Au => "au",
            PayType::Merpay => "Merpay",
        }
    }

    /// Parses a wire value of `payType`.
    pub fn from_name(name: &str) -> Option<PayType> {
        PayType::ALL.into_iter().find(|p| p.as_str() == name)
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl core::fmt::Display for PayType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of providers, e.g. the badges a field carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ProviderSet(u8);

impl ProviderSet {
    /// No provider.
    pub const EMPTY: ProviderSet = ProviderSet(0);
    /// All five providers.
    pub const ALL: ProviderSet = ProviderSet(0b1_1111);

    /// Builds a set from a list (usable in `static` tables).
    pub const fn of(list: &[PayType]) -> ProviderSet {
        let mut bits = 0u8;
        let mut i = 0;
        while i < list.len() {
            bits |= list[i].bit();
            i += 1;
        }
        ProviderSet(bits)
    }

    /// Whether `p` is in the set.
    pub const fn contains(self, p: PayType) -> bool {
        self.0 & p.bit() != 0
    }

    /// Iterates the members in the reference's order.
    pub fn iter(self) -> impl Iterator<Item = PayType> {
        PayType::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

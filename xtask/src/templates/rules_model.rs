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

impl core::fmt::Display for ProviderSet {
    /// Formats as a comma-separated list of wire names (`paypay, au`), or `none`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut first = true;
        for p in self.iter() {
            if !first {
                f.write_str(", ")?;
            }
            f.write_str(p.as_str())?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

impl ProviderSet {
    /// The union of two sets.
    pub const fn union(self, other: ProviderSet) -> ProviderSet {
        ProviderSet(self.0 | other.0)
    }

    /// The members of `self` that are not in `other`.
    pub const fn difference(self, other: ProviderSet) -> ProviderSet {
        ProviderSet(self.0 & !other.0)
    }

    /// Whether the set has no member.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// Whether a request targets the live or the sandbox environment
/// (`control.requestMode`; the API's default is live).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum RequestMode {
    /// `live` — a real payment (the API's default when `requestMode` is absent).
    #[default]
    Live,
    /// `sandbox` — a test payment against the sandbox environment.
    Sandbox,
}

impl RequestMode {
    /// The wire value of `control.requestMode`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RequestMode::Live => "live",
            RequestMode::Sandbox => "sandbox",
        }
    }

    /// Parses a wire value of `control.requestMode`.
    pub fn from_name(name: &str) -> Option<RequestMode> {
        match name {
            "live" => Some(RequestMode::Live),
            "sandbox" => Some(RequestMode::Sandbox),
            _ => None,
        }
    }
}

impl core::fmt::Display for RequestMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON type the spec declares for a request field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JsonType {
    /// A JSON string.
    String,
    /// A JSON integer.
    Integer,
    /// A JSON number.
    Number,
    /// A JSON boolean.
    Boolean,
    /// A JSON object (its fields are the [`FieldSpec::children`]).
    Object,
    /// A JSON array of objects (the items' fields are the [`FieldSpec::children`]).
    Array,
}

impl JsonType {
    /// The lowercase JSON Schema name of the type (`string`, `object`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Integer => "integer",
            JsonType::Number => "number",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
        }
    }
}

/// A named set of allowed characters (see `openapi/provider-rules.yaml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charset {
    /// `[A-Za-z0-9]` — "Single byte alphanumeric characters".
    Alnum,
    /// `[A-Za-z0-9_-]` — "Only the symbols -(hyphen), _(underscore) can be used".
    AlnumHyphenUnderscore,
    /// `[A-Za-z0-9*_@. -]` — PayPay `item.id` (alphanumerics plus `* - _ @ .` and space).
    PaypayItemId,
    /// `[0-9]+` — single-byte digits, at least one (amounts, au `storeId`).
    Digits,
    /// Printable ASCII `0x20..=0x7E` — "Single byte alphanumeric characters and symbols".
    SingleByte,
}

impl Charset {
    /// The rules-file name of the set (`alnum_hyphen_underscore`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Charset::Alnum => "alnum",
            Charset::AlnumHyphenUnderscore => "alnum_hyphen_underscore",
            Charset::PaypayItemId => "paypay_item_id",
            Charset::Digits => "digits",
            Charset::SingleByte => "single_byte",
        }
    }

    /// A human description of the set, for messages.
    pub const fn describe(self) -> &'static str {
        match self {
            Charset::Alnum => "single-byte alphanumerics [A-Za-z0-9]",
            Charset::AlnumHyphenUnderscore => "single-byte alphanumerics, '-' and '_'",
            Charset::PaypayItemId => "single-byte alphanumerics and '*', '-', '_', '@', '.', space",
            Charset::Digits => "single-byte digits 0-9",
            Charset::SingleByte => "printable single-byte (ASCII) characters",
        }
    }

    /// Whether `c` belongs to the set.
    pub const fn allows(self, c: char) -> bool {
        match self {
            Charset::Alnum => c.is_ascii_alphanumeric(),
            Charset::AlnumHyphenUnderscore => c.is_ascii_alphanumeric() || c == '-' || c == '_',
            Charset::PaypayItemId => {
                c.is_ascii_alphanumeric() || matches!(c, '*' | '-' | '_' | '@' | '.' | ' ')
            }
            Charset::Digits => c.is_ascii_digit(),
            Charset::SingleByte => matches!(c, ' '..='~'),
        }
    }
}

/// How serious a rule's violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleSeverity {
    /// The request will be rejected or the payment will fail.
    Error,
    /// The request goes through but not as written (ignored, truncated, contract-dependent).
    Warning,
}

/// One check a provider rule performs on a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// The value is a string of at most this many single-byte digits.
    MaxDigits(u32),
    /// The value (a digit string) is at least this number.
    MinValue(u64),
    /// The value (a digit string) is at most this number.
    MaxValue(u64),
    /// At least this many characters (from the spec's `pattern`, e.g. `+` or `{14}`).
    MinChars(u32),
    /// At most this many UTF-8 bytes.
    MaxBytes(u32),
    /// At most this many characters (Unicode scalar values).
    MaxChars(u32),
    /// Every character is double-byte (2 bytes in Shift_JIS / windows-31j).
    DoubleByte,
    /// Every character is in the set.
    Charset(Charset),
    /// No device-dependent characters (NEC specials, NEC-selected IBM and IBM extensions).
    NoDeviceDependent,
    /// The field must be present.
    Required,
    /// The value must equal `value`; when the field is absent and `absent_as` is
    /// `Some`, that default is compared instead.
    MustEqual {
        /// The only accepted value.
        value: &'static str,
        /// The value the server assumes when the field is absent.
        absent_as: Option<&'static str>,
    },
}

/// A per-provider (or, with [`ProviderRule::all_providers`], spec-level) rule on one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderRule {
    /// The providers the rule applies to.
    pub providers: ProviderSet,
    /// The rule applies whatever the payType (also when it is unknown).
    pub all_providers: bool,
    /// What is checked.
    pub check: Check,
    /// The severity of a violation (before strict mode).
    pub severity: RuleSeverity,
    /// The server truncates instead of rejecting ("excess characters will be
    /// truncated"): a length violation is a warning unless strict.
    pub truncated: bool,
    /// The reference line the rule comes from.
    pub source: &'static str,
}

/// One request field of one command, as the spec declares it, plus its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSpec {
    /// The rules-file path (`order.amount`, `item[].name`).
    pub path: &'static str,
    /// The JSON keys from the root (`["item", "name"]`; arrays add no segment).
    pub segments: &'static [&'static str],
    /// The JSON key of the field (the last segment).
    pub name: &'static str,
    /// The declared JSON type.
    pub json_type: JsonType,
    /// The spec's `maxLength` (characters).
    pub max_length: Option<u32>,
    /// The spec's `enum` values (empty when none).
    pub enum_values: &'static [&'static str],
    /// Required in its parent object (in every `oneOf` alternative).
    pub required: bool,
    /// The provider badges of the field (`x-vt4g-providers`).
    pub badges: ProviderSet,
    /// The providers that use the field: the badges, with the rules file's overrides.
    pub supported: ProviderSet,
    /// The reference's format words (`x-vt4g-format`).
    pub format: Option<&'static str>,
    /// The OpenAPI `format` (`date`, `uri`, …).
    pub schema_format: Option<&'static str>,
    /// Indices (into [`CommandSpec::fields`]) of the child fields of an object,
    /// or of the items of an array of objects.
    pub children: &'static [u16],
    /// The provider rules of the field.
    pub rules: &'static [ProviderRule],
    /// Which [`FieldSpec::rules`] apply (bit `k` = `rules[k]`): index `p as usize` for
    /// provider `p` (its own rules and the `all_providers` ones), index 5 when no provider
    /// is known (the `all_providers` rules only). Iterating the set bits upwards visits
    /// the applicable rules in table order.
    pub rule_masks: [u32; 6],
}

/// A rule spanning fields or needing more than the field's own value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrossKind {
    /// Exactly one of `fields` must be present (`paymentId` xor `fepOrderId`).
    ExactlyOne,
    /// Every URL field: parseable absolute http(s) URL.
    Url,
    /// Redirect URL: https in live mode (http allowed in sandbox mode).
    RedirectUrl,
    /// Webhook URL: https only, port 443 only, no private/loopback/link-local address.
    WebhookUrl,
    /// `fields[0]` may be present only when `fields[1]` equals `value`.
    OnlyWhen {
        /// The required value of `fields[1]`.
        value: &'static str,
    },
    /// `fields[0]` is ignored by the server when `fields[1]` equals `value`.
    IgnoredWhen {
        /// The value of `fields[1]` that makes `fields[0]` ignored.
        value: &'static str,
    },
    /// `fields[0]` is `yyyyMMddHHmmss` JST between `min_secs` and `max_secs` after now.
    DatetimeWindow {
        /// The earliest accepted offset from now, in seconds.
        min_secs: u64,
        /// The latest accepted offset from now, in seconds.
        max_secs: u64,
    },
    /// `fields[0]` (`control.requestMode`) must match the environment being called.
    RequestMode,
}

/// A cross-field rule of one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CrossRule {
    /// What is checked.
    pub kind: CrossKind,
    /// The fields involved (indices into [`CommandSpec::fields`]; none under an array).
    pub fields: &'static [u16],
    /// The providers the rule applies to.
    pub providers: ProviderSet,
    /// The reference line the rule comes from.
    pub source: &'static str,
}

/// Everything the validator knows about one command's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CommandSpec {
    /// The command.
    pub command: Command,
    /// The providers that support the command (the operation's `x-vt4g-providers`).
    pub providers: ProviderSet,
    /// Every request field, parents before children.
    pub fields: &'static [FieldSpec],
    /// Indices of the top-level fields.
    pub root: &'static [u16],
    /// The cross-field rules.
    pub cross_rules: &'static [CrossRule],
}

impl CommandSpec {
    /// The field with the rules-file path `path` (`item[].name`).
    pub fn field(&self, path: &str) -> Option<(u16, &'static FieldSpec)> {
        let fields: &'static [FieldSpec] = self.fields;
        fields
            .iter()
            .enumerate()
            .find(|(_, f)| f.path == path)
            .map(|(i, f)| (i as u16, f))
    }
}

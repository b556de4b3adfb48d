//! The pay requests of `benches/validation.rs` and `perf/validation_callgrind.rs`
//! (one definition, so both measure the same input).
#![allow(dead_code)]

use serde_json::{json, Value};
use vt4g::PayType;

/// A PayPay or docomo pay request with 5 items and every field of the spec set.
pub fn full_pay(pay_type: PayType) -> Value {
    let docomo = pay_type == PayType::Docomo;
    let items: Vec<Value> = (0..5)
        .map(|i| {
            json!({
                "id": format!("SKU{i:04}"),
                "name": if docomo { format!("テスト商品その{}", "一二三四五".chars().nth(i).unwrap_or('一')) } else { format!("Organic green tea {i} 100g") },
                "categoryId": "1"
            })
        })
        .collect();
    json!({
        "order": {
            "payType": pay_type.as_str(),
            "paymentId": "order-20250615-000001",
            "amount": "12800",
            "authCaptureType": "auth",
            "description": "Green tea and sweets",
            "commodityType": "product_sales"
        },
        "transaction": {
            "merchantRequestKey1": "customer-000123",
            "merchantRequestKey2": "campaign_summer",
            "metadata1": "{\"cart\":\"c-9f8e7d\",\"channel\":\"web\"}",
            "metadata2": "note: deliver before noon"
        },
        "item": items,
        "merchant": {"storeId": "store-001", "storeName": "Tea Shop Shibuya", "terminalId": "term_01"},
        "customer": {
            "buyer": {"buyerInfoType": "not_use", "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15"},
            "shipping": {"deliveryAddressType": "not_use"}
        },
        "control": {
            "requestMode": "live",
            "successUrl": "https://shop.example.com/pay/success?order=000001",
            "cancelUrl": "https://shop.example.com/pay/cancel?order=000001",
            "errorUrl": "https://shop.example.com/pay/error?order=000001",
            "pushUrl": "https://shop.example.com/webhooks/vt4g"
        },
        "paymentInstrument": {"au": {"paymentAuthenticationType": "id_method", "loginType": "linked_id"}}
    })
}

/// The request with only the fields PayPay uses.
pub fn paypay_fields(mut v: Value) -> Value {
    v["order"]
        .as_object_mut()
        .map(|o| o.remove("commodityType"));
    for item in v["item"].as_array_mut().into_iter().flatten() {
        item.as_object_mut().map(|o| o.remove("categoryId"));
    }
    v["customer"] = json!({"buyer": {"userAgent": v["customer"]["buyer"]["userAgent"].clone()}});
    v.as_object_mut().map(|o| o.remove("paymentInstrument"));
    v
}

/// The request with only the fields `pay_type` uses (per the rule tables' `supported`
/// sets): what a merchant integrating that one provider sends.
pub fn fields_used_by(mut v: Value, pay_type: PayType) -> Value {
    let spec = vt4g::generated::rules::command_spec(vt4g::Command::Pay);
    fn strip(
        v: &mut Value,
        children: &[u16],
        spec: &vt4g::generated::rules::CommandSpec,
        p: PayType,
    ) {
        match v {
            Value::Object(map) => {
                for &i in children {
                    let f = &spec.fields[usize::from(i)];
                    let used = f.required || f.supported.is_empty() || f.supported.contains(p);
                    if !used {
                        map.remove(f.name);
                    } else if let Some(child) = map.get_mut(f.name) {
                        strip(child, f.children, spec, p);
                    }
                }
            }
            Value::Array(items) => {
                for item in items {
                    strip(item, children, spec, p);
                }
            }
            _ => {}
        }
    }
    strip(&mut v, spec.root, spec, pay_type);
    v
}

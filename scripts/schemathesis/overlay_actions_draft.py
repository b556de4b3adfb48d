"""Draft overlay actions for issue 22 (constraints the reference states in prose)."""
import yaml, sys
ID = '^[A-Za-z0-9_-]+$'
DIGITS = '^[0-9]+$'
# Dotted-quad-free host: labels of letters/digits/hyphen, the last one starting with a letter.
HOST = r'(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?'
PORT = r'(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?'
PATH = r'(?:[/?#][!-~]*)?'
IPV4 = r'(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'
URL = '^https?://(?:' + HOST + '|' + IPV4 + ')' + PORT + PATH + '$'
PUSH = URL
DT = '^[0-9]{4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?:[01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]$'
acts = []
def a(target, update, desc):
    acts.append({'target': target, 'description': desc, 'update': update})
P = '$.components.schemas.'
cmds = {
 'Pay': dict(order='PayOrder', ids=['paymentId'], amount=True, lines={'paymentId': 334, 'amount': 342}),
}
# --- ID fields -----------------------------------------------------------
idf = [
 ('PayOrder','paymentId','334-341'), ('SubscribeOrder','paymentId','650-657'),
 ('UpdateOrderOrderByPaymentId','paymentId','1050-1052, with 341'),
 ('UpdateOrderOrderByFepOrderId','fepOrderId','979-980, with 955'),
 ('CaptureOrderByPaymentId','paymentId','1160-1162, with 341'),
 ('CaptureOrderByFepOrderId','fepOrderId','979-980, with 955'),
 ('CancelOrderByPaymentId','paymentId','1272-1274, with 341'),
 ('CancelOrderByFepOrderId','fepOrderId','979-980, with 955'),
 ('ChargeOrderByOriginalPaymentId','paymentId','1397-1404'),
 ('ChargeOrderByOriginalPaymentId','originalPaymentId','1405-1407, with 650-657'),
 ('ChargeOrderByOriginalFepOrderId','paymentId','1397-1404'),
 ('ChargeOrderByOriginalFepOrderId','originalFepOrderId','979-980, with 955'),
 ('TerminateOrderByPaymentId','paymentId','1610-1611, with 657'),
 ('TerminateOrderByFepOrderId','fepOrderId','979-980, with 955'),
 ('GetTransactionResultTransaction','fepReferenceId','2314-2316, with 987-990'),
]
for c in ['Pay','Subscribe','UpdateOrder','Capture','Cancel','Charge','Terminate']:
    for k in ['merchantRequestKey1','merchantRequestKey2']:
        idf.append((c+'Transaction', k, 'merchantRequestKey lines (395/402 and the same sentence under every command)'))
for c in ['Pay','Subscribe','Charge']:
    for k in ['storeId','terminalId']:
        idf.append((c+'Merchant', k, 'storeId/terminalId (462, 480 and the same sentence under every command)'))
for s,f,l in idf:
    a(f'{P}{s}.properties.{f}', {'pattern': ID, 'minLength': 1},
      f'{s}.{f}: "Single byte alphanumeric characters, symbols" + "Only the symbols -(hyphen), _(underscore)" (reference lines {l}); an empty ID names nothing, so at least one character.')
# --- amounts -------------------------------------------------------------
for s,l in [('PayOrder','342-361'),('UpdateOrderOrderByPaymentId','1058-1070'),('UpdateOrderOrderByFepOrderId','1058-1070'),
            ('CaptureOrderByPaymentId','1168-1180'),('CaptureOrderByFepOrderId','1168-1180'),
            ('CancelOrderByPaymentId','1280-1292'),('CancelOrderByFepOrderId','1280-1292'),
            ('ChargeOrderByOriginalPaymentId','1427-1440'),('ChargeOrderByOriginalFepOrderId','1427-1440')]:
    a(f'{P}{s}.properties.amount', {'pattern': DIGITS, 'minLength': 1},
      f'{s}.amount: every provider limit is "Numerical value N digits or less" / "between 1 and 1000000" (reference lines {l}): single byte digits only, at least one.')
# --- URLs ----------------------------------------------------------------
for s in ['PayControl','SubscribeControl']:
    for k,l in [('successUrl','533-541'),('cancelUrl','542-550'),('errorUrl','551-559')]:
        a(f'{P}{s}.properties.{k}', {'pattern': URL, 'minLength': 1},
          f'{s}.{k}: "URL format", "http cannot be specified for live mode requests (only https is acceptable)" (reference lines {l}): an absolute http(s) URL whose host is a name or an IPv4 address (IPv6 literals are not in the pattern).')
for s,l in [('PayControl','562-569'),('SubscribeControl','854-861'),('UpdateOrderControl','1109-1115'),('CaptureControl','1218-1224'),
            ('CancelControl','1333-1339'),('ChargeControl','1534-1541'),('TerminateControl','1647-1653')]:
    a(f'{P}{s}.properties.pushUrl', {'pattern': PUSH, 'minLength': 1},
      f'{s}.pushUrl: "http cannot be specified (only https is acceptable). Also, private IP addresses cannot be specified. Only the port number 443 is permitted." (reference lines {l}): an absolute http(s) URL with a host name or IPv4 address. The https/443/no-private-address rule stays a rule (provider-rules.yaml webhook_url, the validator, the simulator PushUrlPolicy): the sandbox and our simulator accept loopback receivers for local tests, which a pattern would forbid.')
a(f'{P}SubscribeControl.properties.deregistrationPushUrl', {'pattern': PUSH, 'minLength': 1},
  'SubscribeControl.deregistrationPushUrl: same rule as pushUrl (reference lines 862-870).')
# --- dates ---------------------------------------------------------------
a(f'{P}ChargeProtocol.properties.recoveryExpiredDatetime', {'pattern': DT},
  'ChargeProtocol.recoveryExpiredDatetime: "string <date> ... Single byte numbers <yyyyMMddHHmmss>" (reference line 1553): month 01-12, day 01-31, hour 00-23, minute and second 00-59.')
# --- blocks --------------------------------------------------------------
a(f'{P}TerminateRequest', {'required': ['order']},
  'terminate: the order block ("paymentId specification (object) or fepOrderId specification (object)", reference lines 1607-1611) names the contract to cancel; without it the command means nothing, so it is required (the reference prints no "required" on it).')
a(f'{P}GetTransactionResultRequest', {'required': ['transaction']},
  'getTransactionResult: transaction.fepReferenceId is required (reference lines 2312-2316) and is the block\'s only field, so the transaction block is required.')
def link(src, code, links, desc):
    a(f"$.paths['/{src}'].post.responses['{code}']", {'links': links}, desc)
PID = '$response.body#/order/paymentId'
link('pay', '200', {
    'getTransactionResult': {'operationId': 'getTransactionResult', 'description': 'The result of this payment request, by the fepReferenceId of its response.',
        'requestBody': {'transaction': {'fepReferenceId': '$response.body#/transaction/fepReferenceId'}}},
    'capture': {'operationId': 'capture', 'description': 'Capture this payment by its paymentId (the response echoes the request\'s order.paymentId).',
        'requestBody': {'order': {'paymentId': PID}}},
    'cancel': {'operationId': 'cancel', 'description': 'Cancel this payment by its paymentId.',
        'requestBody': {'order': {'paymentId': PID}}},
    'updateOrder': {'operationId': 'updateOrder', 'description': 'Change this payment by its fepOrderId.',
        'requestBody': {'order': {'fepOrderId': '$response.body#/order/fepOrderId'}}},
}, 'Links for stateful testing (ours): the pay response carries order.paymentId, order.fepOrderId and transaction.fepReferenceId (the response sample of Payment Request, reference lines 614-624, and the fields paymentId, fepOrderId, fepReferenceId at 972-990), which the follow-up commands take (getTransactionResult 2312-2316, capture 1160, cancel 1272, updateOrder 1050).')
link('capture', '200', {
    'cancel': {'operationId': 'cancel', 'description': 'Cancel (refund) this captured payment by its paymentId.',
        'requestBody': {'order': {'paymentId': PID}}},
    'getTransactionResult': {'operationId': 'getTransactionResult', 'description': 'The result of this capture.',
        'requestBody': {'transaction': {'fepReferenceId': '$response.body#/transaction/fepReferenceId'}}},
}, 'Links for stateful testing (ours): capture then cancel of the same order (reference lines 1160, 1272).')
link('subscribe', '200', {
    'getTransactionResult': {'operationId': 'getTransactionResult', 'description': 'The result of this on-demand payment request.',
        'requestBody': {'transaction': {'fepReferenceId': '$response.body#/transaction/fepReferenceId'}}},
    'terminate': {'operationId': 'terminate', 'description': 'Cancel this contract by its paymentId.',
        'requestBody': {'order': {'paymentId': PID}}},
}, 'Links for stateful testing (ours): an on-demand contract is addressed by its paymentId (terminate, reference line 1610).')
yaml.safe_dump({'actions': acts}, sys.stdout, sort_keys=False, allow_unicode=True, width=200)

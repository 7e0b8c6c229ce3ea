package eligo

import "time"

// Payment expiry has one owner: this file. An order's payment is unpaid
// while it is PENDING or FAILED (a failed payment may still be paid), and it
// has expired from the instant its payment timeout passes while unpaid. The
// built-in policy's payment_expired block names the same set (UNPAID), and
// RecheckPayment, the payment re-check job's rule, writes the expiry down as
// the order's status (expire), with the provider's answer. Decide answers
// payment_expired from the timeout on whether or not the job has run: the
// job changes the data, not the answer.

// Unpaid reports whether s is a payment still owed: PENDING or FAILED.
func (s PaymentStatus) Unpaid() bool { return paymentUnpaid.Has(s) }

// paymentUnpaid is the set of unpaid payment statuses, PENDING and FAILED. A
// policy file names it "UNPAID" in a payment_status list.
const paymentUnpaid paymentStatusSet = 1<<PaymentPending | 1<<PaymentFailed

// unpaidName is paymentUnpaid's name in a policy file.
const unpaidName = "UNPAID"

// paymentExpired reports whether o is an order still open whose payment is
// unpaid at instant now, at or after its payment timeout.
func (o *Order) paymentExpired(now time.Time) bool {
	return !o.Terminal() && o.PaymentStatus.Unpaid() && !o.PaymentTimeoutAt.IsZero() && !now.Before(o.PaymentTimeoutAt)
}

// expire returns o expired when its payment has expired at now (see
// paymentExpired); otherwise o unchanged.
func expire(o Order, now time.Time) Order {
	if o.paymentExpired(now) {
		o.Status = StatusExpired
	}
	return o
}

// RecheckPayment returns o after the payment provider's answer at instant
// now (PaymentPending when no provider is asked):
//
//   - an order that is over, paid or without a payment timeout is returned
//     unchanged;
//   - PAID records the payment;
//   - otherwise, before the timeout, o is returned unchanged with notDue,
//     and the re-check should run again at o.PaymentTimeoutAt;
//   - otherwise a FAILED answer is recorded and the order expires.
func RecheckPayment(o Order, answer PaymentStatus, now time.Time) (next Order, notDue bool) {
	if o.Terminal() || !o.PaymentStatus.Unpaid() || o.PaymentTimeoutAt.IsZero() {
		return o, false
	}
	if answer == PaymentPaid {
		o.PaymentStatus = PaymentPaid
		return o, false
	}
	if now.Before(o.PaymentTimeoutAt) {
		return o, true
	}
	if answer > o.PaymentStatus {
		o.PaymentStatus = answer
	}
	return expire(o, now), false
}

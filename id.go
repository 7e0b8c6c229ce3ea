package eligo

// ValidateID returns an EINVALID error when id is not an id eligo accepts
// (order, customer and event ids follow one rule); what names the id in the
// message, such as "customer_id". It is for callers outside this package
// that must refuse what the API would refuse, such as minting a customer
// token.
func ValidateID(what, id string) error {
	return validateID(what, id)
}

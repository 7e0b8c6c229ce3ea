package sqlite

// ListHotOrdersQuery is the query of one range of ListHotOrders.
const ListHotOrdersQuery = listHotOrders

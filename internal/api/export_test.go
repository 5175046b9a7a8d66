package api

// PageToken returns the next_pagination_token a list answered by query (its query string, limit
// left out) gives after the row whose sort key and id are key and id, so that a benchmark can ask
// for a page deep in a long list without walking to it.
func PageToken(query string, key any, id string) string {
	return encodePageToken(pageToken{Query: query, Key: key, ID: id})
}

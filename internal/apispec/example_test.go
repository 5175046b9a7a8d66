package apispec_test

import (
	"encoding/json"
	"fmt"

	"github.com/booksync/booksync/internal/apispec"
)

func ExampleValidator_ValidateBody() {
	v, err := apispec.NewValidator()
	if err != nil {
		panic(err)
	}
	body := `{"data": [{"product_id": "9d2b4c8f-2087-4738-ba91-7359683c49a4", "quantity": -2}]}`
	details := v.ValidateBody("put_receivables_id_line_items", []byte(body))
	out, _ := json.Marshal(map[string]any{"detail": details})
	fmt.Println(string(out))
	// Output:
	// {"detail":[{"loc":["body","data",0,"quantity"],"msg":"Input should be greater than or equal to 0","type":"greater_than_equal"}]}
}

package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/readalike/readalike/recommend"
)

// The API reads dates as files are read (articleio.ParseTime): every form,
// and a date in none is a 400 naming the field, for a published date, a
// read's time and a list's bounds alike.
func TestAPIDateForms(t *testing.T) {
	env := newEnv(t, Options{})
	for i, f := range []struct{ in, want string }{
		{"2024-01-18T06:30:00Z", "2024-01-18T06:30:00Z"},
		{"1987-10-19T00:34:08", "1987-10-19T00:34:08Z"},
		{"1987-10-19 00:34:08.5", "1987-10-19T00:34:08.5Z"},
		{"2024-01-18", "2024-01-18T00:00:00Z"},
		{"Thu, 18 Jan 2024 06:30:00 +0100", "2024-01-18T05:30:00Z"},
		{"18 Jan 24 06:30 GMT", "2024-01-18T06:30:00Z"},
	} {
		id := fmt.Sprintf("date-%d", i)
		env.postJSON("/v1/articles", fmt.Sprintf(`{"id": %q, "body": "the moon", "published": %q}`, id, f.in)).expectStatus(t, http.StatusCreated)
		var a recommend.Article
		env.get("/v1/articles/"+id).decode(t, &a)
		if got := a.Published.Format(time.RFC3339Nano); got != f.want {
			t.Errorf("published %q: stored %s, want %s", f.in, got, f.want)
		}
	}
	for _, bad := range []string{"yesterday", "18/01/2024", "2024-02-30", "2024-01-18T25:00:00Z", "Thu, 18 Jan 2024"} {
		env.postJSON("/v1/articles", fmt.Sprintf(`{"id": "x", "body": "b", "published": %q}`, bad)).expectError(t, 400, "invalid", "published")
		env.postJSON("/v1/articles/date-0/reads", fmt.Sprintf(`{"at": %q}`, bad)).expectError(t, 400, "invalid", "at")
	}
	env.postJSON("/v1/articles/date-0/reads", `{"at": "2024-01-18 06:30"}`).expectStatus(t, http.StatusOK)
}

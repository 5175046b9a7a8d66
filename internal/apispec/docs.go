package apispec

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// DocsHandler serves GET /docs: Document rendered as one HTML page, with
// no scripts or external assets so that it works offline. The page is
// rendered on the first request and cached.
func DocsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		page, err := renderDocs()
		if err != nil {
			http.Error(w, "API documentation is unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

var renderDocs = sync.OnceValues(func() ([]byte, error) {
	doc, err := loadDocument()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, buildDocsPage(doc)); err != nil {
		return nil, fmt.Errorf("apispec: render docs: %w", err)
	}
	return buf.Bytes(), nil
})

// The view types below hold everything the template prints, so the
// template has no logic beyond loops and conditionals.

type docsPage struct {
	Title, Version, Description string
	Groups                      []docsGroup
	Schemas                     []docsSchema
}

type docsGroup struct {
	Tag string
	Ops []docsOp
}

type docsOp struct {
	Anchor, Method, Path, ID, Summary, Description string
	Params                                         []docsParam
	Body                                           *docsBody
	Responses                                      []docsResponse
}

type docsParam struct {
	Name, In, Description string
	Required              bool
	Type                  []typeToken
}

type docsBody struct {
	Required bool
	Type     []typeToken
}

type docsResponse struct {
	Code, Description string
	Type              []typeToken
}

type docsSchema struct {
	Name, Description string
	Type              []typeToken // the schema's own shape when it is not a plain object
	Enum              []string
	Props             []docsProp
}

type docsProp struct {
	Name, Description string
	Required          bool
	Type              []typeToken
	Enum              []string
}

// typeToken is one piece of a type expression such as
// "array of <LineItem>"; Link names the schema it links to, if any.
type typeToken struct {
	Text, Link string
}

func buildDocsPage(doc *openapi3.T) docsPage {
	page := docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}

	byTag := map[string][]docsOp{}
	for _, o := range Operations() {
		op := doc.Paths.Value(o.Path).GetOperation(o.Method)
		if op == nil {
			continue
		}
		d := docsOp{
			Anchor: "op-" + o.ID, Method: o.Method, Path: o.Path, ID: o.ID,
			Summary: op.Summary, Description: op.Description,
		}
		for _, p := range op.Parameters {
			if p.Value == nil {
				continue
			}
			d.Params = append(d.Params, docsParam{
				Name: p.Value.Name, In: p.Value.In, Required: p.Value.Required,
				Description: p.Value.Description, Type: typeExpr(p.Value.Schema, 0),
			})
		}
		if rb := op.RequestBody; rb != nil && rb.Value != nil {
			if mt := rb.Value.Content.Get("application/json"); mt != nil {
				d.Body = &docsBody{Required: rb.Value.Required, Type: typeExpr(mt.Schema, 0)}
			}
		}
		responses := op.Responses.Map()
		codes := make([]string, 0, len(responses))
		for code := range responses {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			r := responses[code].Value
			if r == nil {
				continue
			}
			resp := docsResponse{Code: code}
			if r.Description != nil {
				resp.Description = *r.Description
			}
			if mt := r.Content.Get("application/json"); mt != nil {
				resp.Type = typeExpr(mt.Schema, 0)
			}
			d.Responses = append(d.Responses, resp)
		}
		tag := "Other"
		if len(op.Tags) > 0 {
			tag = op.Tags[0]
		}
		byTag[tag] = append(byTag[tag], d)
	}
	for _, t := range doc.Tags {
		if ops := byTag[t.Name]; len(ops) > 0 {
			page.Groups = append(page.Groups, docsGroup{Tag: t.Name, Ops: ops})
			delete(byTag, t.Name)
		}
	}
	// Tags the document does not list still get a section, in name order.
	var rest []string
	for t := range byTag {
		rest = append(rest, t)
	}
	slices.Sort(rest)
	for _, t := range rest {
		page.Groups = append(page.Groups, docsGroup{Tag: t, Ops: byTag[t]})
	}

	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		s := doc.Components.Schemas[name].Value
		if s == nil {
			continue
		}
		ds := docsSchema{Name: name, Description: s.Description, Enum: enumStrings(s.Enum)}
		if len(s.Properties) == 0 {
			ds.Type = typeExpr(&openapi3.SchemaRef{Value: s}, 0)
		}
		required := map[string]bool{}
		for _, r := range s.Required {
			required[r] = true
		}
		props := make([]string, 0, len(s.Properties))
		for p := range s.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		for _, p := range props {
			ref := s.Properties[p]
			dp := docsProp{Name: p, Required: required[p], Type: typeExpr(ref, 0)}
			if ref.Value != nil {
				dp.Description = ref.Value.Description
				dp.Enum = enumStrings(ref.Value.Enum)
			}
			ds.Props = append(ds.Props, dp)
		}
		page.Schemas = append(page.Schemas, ds)
	}
	return page
}

const schemaPrefix = "#/components/schemas/"

// typeExpr describes a schema in a line, linking the named schemas it
// mentions. depth stops runaway recursion through inline schemas.
func typeExpr(ref *openapi3.SchemaRef, depth int) []typeToken {
	if ref == nil {
		return nil
	}
	if name, ok := strings.CutPrefix(ref.Ref, schemaPrefix); ok {
		return []typeToken{{Text: name, Link: name}}
	}
	s := ref.Value
	if s == nil || depth > 6 {
		return []typeToken{{Text: "any"}}
	}
	join := func(refs openapi3.SchemaRefs, sep string) []typeToken {
		var out []typeToken
		for i, r := range refs {
			if i > 0 {
				out = append(out, typeToken{Text: sep})
			}
			out = append(out, typeExpr(r, depth+1)...)
		}
		return out
	}
	switch {
	case len(s.AllOf) == 1 && (s.Type == nil || s.Type.IsEmpty()):
		return typeExpr(s.AllOf[0], depth+1)
	case len(s.AllOf) > 1:
		return join(s.AllOf, " and ")
	case len(s.AnyOf) > 0:
		return join(s.AnyOf, " | ")
	case len(s.OneOf) > 0:
		return join(s.OneOf, " | ")
	}
	if s.Type == nil || s.Type.IsEmpty() {
		return []typeToken{{Text: "any"}}
	}
	var out []typeToken
	for i, t := range s.Type.Slice() {
		if i > 0 {
			out = append(out, typeToken{Text: " | "})
		}
		switch t {
		case openapi3.TypeArray:
			out = append(out, typeToken{Text: "array of "})
			out = append(out, typeExpr(s.Items, depth+1)...)
		case openapi3.TypeObject:
			if extra := s.AdditionalProperties.Schema; extra != nil && len(s.Properties) == 0 {
				out = append(out, typeToken{Text: "object of "})
				out = append(out, typeExpr(extra, depth+1)...)
			} else {
				out = append(out, typeToken{Text: "object"})
			}
		default:
			text := t
			if s.Format != "" {
				text += " (" + s.Format + ")"
			}
			out = append(out, typeToken{Text: text})
		}
	}
	return out
}

func enumStrings(values []any) []string {
	out := make([]string, len(values))
	for i, v := range values {
		if s, ok := v.(string); ok {
			out[i] = s
		} else {
			out[i] = literal(v)
		}
	}
	return out
}

var docsTemplate = template.Must(template.New("docs").Funcs(template.FuncMap{
	"lower": strings.ToLower,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} {{.Version}}</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;background:#fff}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin-top:0}h2{border-bottom:2px solid #e3e7ee;padding-bottom:.3rem;margin-top:2.5rem}
h3{margin-top:2rem}
code,.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.92em}
.desc{white-space:pre-wrap}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #e3e7ee;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f7fa}
.method{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;font-weight:600;font-size:.85em;padding:0 .3em}
.get{background:#2f7d32}.post{background:#1f5fbf}.patch{background:#a86400}.put{background:#6b3fa0}.delete{background:#b3261e}
.op{border:1px solid #e3e7ee;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.req{color:#b3261e;font-size:.85em}
.enum{color:#555;font-size:.9em}
nav ul{columns:2;list-style:none;padding-left:0}nav li{break-inside:avoid}
</style>
</head>
<body>
<main>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p class="desc">{{.Description}}</p>
<p>The machine-readable document is at <a href="/openapi.json"><code>/openapi.json</code></a>.</p>

<h2 id="contents">Operations</h2>
<nav>
{{range .Groups}}<h3>{{.Tag}}</h3>
<ul>{{range .Ops}}
<li><a href="#{{.Anchor}}"><span class="method {{lower .Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></a> {{.Summary}}</li>{{end}}
</ul>
{{end}}<p><a href="#schemas">Schemas</a></p>
</nav>

{{range .Groups}}
<h2>{{.Tag}}</h2>
{{range .Ops}}
<section class="op" id="{{.Anchor}}">
<h3><span class="method {{lower .Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></h3>
<p><strong>{{.Summary}}</strong> <code>{{.ID}}</code></p>
{{if .Description}}<p class="desc">{{.Description}}</p>{{end}}
{{if .Params}}<h4>Parameters</h4>
<table><tr><th>Name</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr>
{{range .Params}}<tr><td><code>{{.Name}}</code></td><td>{{.In}}</td><td>{{if .Required}}yes{{else}}no{{end}}</td><td>{{template "type" .Type}}</td><td class="desc">{{.Description}}</td></tr>
{{end}}</table>{{end}}
{{with .Body}}<h4>Request body</h4>
<p>{{template "type" .Type}}{{if .Required}} <span class="req">required</span>{{end}}</p>{{end}}
<h4>Responses</h4>
<table><tr><th>Status</th><th>Description</th><th>Body</th></tr>
{{range .Responses}}<tr><td>{{.Code}}</td><td>{{.Description}}</td><td>{{template "type" .Type}}</td></tr>
{{end}}</table>
</section>
{{end}}{{end}}

<h2 id="schemas">Schemas</h2>
{{range .Schemas}}
<section id="schema-{{.Name}}">
<h3>{{.Name}}</h3>
{{if .Description}}<p class="desc">{{.Description}}</p>{{end}}
{{if .Type}}<p>Type: {{template "type" .Type}}</p>{{end}}
{{if .Enum}}<p class="enum">One of: {{range $i, $e := .Enum}}{{if $i}}, {{end}}<code>{{$e}}</code>{{end}}</p>{{end}}
{{if .Props}}<table><tr><th>Property</th><th>Type</th><th>Required</th><th>Description</th></tr>
{{range .Props}}<tr><td><code>{{.Name}}</code></td><td>{{template "type" .Type}}</td><td>{{if .Required}}<span class="req">required</span>{{end}}</td><td><span class="desc">{{.Description}}</span>{{if .Enum}}<div class="enum">One of: {{range $i, $e := .Enum}}{{if $i}}, {{end}}<code>{{$e}}</code>{{end}}</div>{{end}}</td></tr>
{{end}}</table>{{end}}
</section>
{{end}}
</main>
</body>
</html>
{{define "type"}}{{range .}}{{if .Link}}<a href="#schema-{{.Link}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}{{end}}`))

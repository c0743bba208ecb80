package wire

import (
	"strings"
	"testing"
)

func TestParseRepoType(t *testing.T) {
	tests := []struct {
		in      string
		want    RepoType
		plural  string
		prefix  string
		wantErr bool
	}{
		{"", Model, "models", "", false},
		{"model", Model, "models", "", false},
		{"models", Model, "models", "", false},
		{"dataset", Dataset, "datasets", "datasets/", false},
		{"datasets", Dataset, "datasets", "datasets/", false},
		{"space", Space, "spaces", "spaces/", false},
		{"spaces", Space, "spaces", "spaces/", false},
		{"Model", "", "", "", true},
		{"kernel", "", "", "", true},
		{"model ", "", "", "", true},
		{"bucket", "", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRepoType(tt.in)
			if tt.wantErr {
				checkErr(t, err, "invalid repo type "+quote(tt.in))
				return
			}
			checkErr(t, err, "")
			if got != tt.want || got.Plural() != tt.plural || got.URLPrefix() != tt.prefix {
				t.Errorf("ParseRepoType(%q) = %q (%q, %q), want %q (%q, %q)",
					tt.in, got, got.Plural(), got.URLPrefix(), tt.want, tt.plural, tt.prefix)
			}
		})
	}
}

func TestRepoTypeZeroValueIsModel(t *testing.T) {
	var zero RepoType
	if zero.Plural() != "models" || zero.URLPrefix() != "" {
		t.Errorf("zero RepoType: Plural %q, URLPrefix %q", zero.Plural(), zero.URLPrefix())
	}
}

func TestParseRepoID(t *testing.T) {
	long := strings.Repeat("a", MaxNameLen)
	tests := []struct {
		name    string
		in      string
		want    RepoID
		wantErr string
	}{
		{"simple", "user/repo", RepoID{"user", "repo"}, ""},
		{"org model", "meta-llama/Llama-3.1-8B", RepoID{"meta-llama", "Llama-3.1-8B"}, ""},
		{"underscores", "_a_/_b_", RepoID{"_a_", "_b_"}, ""},
		{"single chars", "a/b", RepoID{"a", "b"}, ""},
		{"digits", "1/2", RepoID{"1", "2"}, ""},
		{"max length", long + "/" + long, RepoID{long, long}, ""},
		{"dot inside", "u/v1.0", RepoID{"u", "v1.0"}, ""},
		{"git inside", "u/a.gitx", RepoID{"u", "a.gitx"}, ""},
		{"reserved as name", "user/datasets", RepoID{"user", "datasets"}, ""},
		{"reserved prefix", "datasetsx/a", RepoID{"datasetsx", "a"}, ""},

		{"one segment", "gpt2", RepoID{}, `invalid repo id "gpt2": must be "namespace/name"`},
		{"three segments", "a/b/c", RepoID{}, `invalid repo id "a/b/c": must be "namespace/name"`},
		{"empty", "", RepoID{}, `must be "namespace/name"`},
		{"empty namespace", "/b", RepoID{}, `invalid repo id "/b": namespace must not be empty`},
		{"empty name", "a/", RepoID{}, `invalid repo id "a/": name must not be empty`},
		{"name too long", "a/" + long + "a", RepoID{}, "name must be at most 96 characters long"},
		{"namespace too long", long + "a/b", RepoID{}, "namespace must be at most 96 characters long"},
		{"space", "a/b c", RepoID{}, "name may only contain ASCII letters, digits, '_', '-' and '.'"},
		{"unicode", "a/é", RepoID{}, "may only contain ASCII letters"},
		{"unicode letter", "a/bé", RepoID{}, "may only contain ASCII letters"},
		{"slash-like", "a/b:c", RepoID{}, "may only contain"},
		{"leading dash", "a/-b", RepoID{}, "name must start and end with a letter, a digit or '_'"},
		{"trailing dash", "a/b-", RepoID{}, "must start and end"},
		{"leading dot", "a/.b", RepoID{}, "must start and end"},
		{"trailing dot", "a/b.", RepoID{}, "must start and end"},
		{"namespace leading dot", ".a/b", RepoID{}, "namespace must start and end"},
		{"double dash", "a/b--c", RepoID{}, `name must not contain "--"`},
		{"double dot", "a/b..c", RepoID{}, `name must not contain ".."`},
		{"namespace double dash", "a--b/c", RepoID{}, `namespace must not contain "--"`},
		{"git suffix", "a/b.git", RepoID{}, `name must not end with ".git"`},
		{"git suffix upper", "a/b.GIT", RepoID{}, `name must not end with ".git"`},
		{"reserved datasets", "datasets/x", RepoID{}, `invalid repo id "datasets/x": namespace "datasets" is reserved`},
		{"reserved spaces", "spaces/x", RepoID{}, "is reserved"},
		{"reserved models", "models/x", RepoID{}, "is reserved"},
		{"reserved kernels", "kernels/x", RepoID{}, "is reserved"},
		{"reserved buckets", "buckets/x", RepoID{}, "is reserved"},
		{"reserved api", "api/x", RepoID{}, "is reserved"},
		{"reserved case", "API/x", RepoID{}, "is reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRepoID(tt.in)
			checkErr(t, err, tt.wantErr)
			if got != tt.want {
				t.Errorf("ParseRepoID(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"a", ""},
		{"julien-c", ""},
		{"Org_1.x", ""},
		{"datasets", ""}, // reserved only as a namespace
		{"", `invalid name "": must not be empty`},
		{"a/b", "may only contain"},
		{"a--b", `must not contain "--"`},
		{"a..b", `must not contain ".."`},
		{"-a", "must start and end"},
		{"a.git", `must not end with ".git"`},
		{strings.Repeat("x", 97), "at most 96 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			checkErr(t, ValidateName(tt.in), tt.wantErr)
		})
	}
}

func TestValidateNamespace(t *testing.T) {
	checkErr(t, ValidateNamespace("user"), "")
	checkErr(t, ValidateNamespace("Datasets"), `invalid name "Datasets": reserved`)
	checkErr(t, ValidateNamespace("a--b"), `must not contain "--"`)
}

func FuzzParseRepoID(f *testing.F) {
	for _, s := range []string{"user/repo", "a/b", "a/b/c", "datasets/x", "a/b.git", "a--b/c", "/", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseRepoID(s)
		if err != nil {
			if id != (RepoID{}) {
				t.Fatalf("ParseRepoID(%q) = %#v with an error", s, id)
			}
			return
		}
		if id.String() != s {
			t.Fatalf("ParseRepoID(%q).String() = %q", s, id.String())
		}
		again, err := ParseRepoID(id.String())
		if err != nil || again != id {
			t.Fatalf("round trip of %q: %#v, %v", s, again, err)
		}
		if ValidateName(id.Name) != nil || ValidateNamespace(id.Namespace) != nil {
			t.Fatalf("ParseRepoID accepted %q, but its parts do not validate", s)
		}
		if strings.Contains(s, "--") || strings.Contains(s, "..") || len(id.Name) > MaxNameLen {
			t.Fatalf("ParseRepoID accepted %q", s)
		}
	})
}

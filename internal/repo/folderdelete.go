package repo

import "strings"

// isFolder reports whether p names a folder in the tree being built. A
// deletedFile line naming a folder deletes the folder, as on the Hub
// (huggingface_hub's CommitOperationDelete("folder") without a slash).
func (b *treeBuilder) isFolder(p string) bool {
	parts := strings.Split(p, "/")
	path, err := b.dir(parts[:len(parts)-1], false, p)
	if err != nil || len(path) == 0 {
		return false
	}
	e, ok := path[len(path)-1].get(parts[len(parts)-1])
	return ok && e.IsDir()
}

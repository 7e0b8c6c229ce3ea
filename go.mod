module github.com/eligo/eligo

go 1.26.8

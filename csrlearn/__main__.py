from csrlearn.cli import main
raise SystemExit(main())

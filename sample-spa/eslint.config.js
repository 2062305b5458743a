// Lint choice: ESLint (flat config) + typescript-eslint + eslint-plugin-react-hooks
// rather than Biome, because the Rules of Hooks (and the React Compiler checks that
// ship in react-hooks v7) only exist as ESLint rules, and typescript-eslint's
// type-aware rules catch floating promises, which an async click handler easily
// leaves behind. Biome would be faster but has no equivalent of either.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig, globalIgnores } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  globalIgnores(["dist", "coverage"]),
  {
    files: ["**/*.{ts,tsx}"],
    extends: [
      js.configs.recommended,
      tseslint.configs.recommendedTypeChecked,
      reactHooks.configs.flat.recommended,
    ],
    languageOptions: {
      ecmaVersion: 2022,
      globals: globals.browser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // React's onClick accepts a promise-returning handler; the promise is handled inside.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
    },
  },
  {
    files: ["**/*.js"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
]);

with final as (
with customers as (select * from {{ ref('stg_customers') }}),
accounts as (select * from {{ ref('int_customer_accounts') }}),
kyc as (select * from {{ ref('int_kyc_latest') }})
select
    customers.customer_id, customers.company_name, customers.country_code, customers.segment,
    customers.email, customers.created_at,
    coalesce(accounts.account_count, 0) as account_count,
    coalesce(accounts.active_account_count, 0) as active_account_count,
    coalesce(kyc.kyc_result, 'unchecked') as kyc_result
from customers
left join accounts on accounts.customer_id = customers.customer_id
left join kyc on kyc.customer_id = customers.customer_id
)
select
    cast(customer_id as number(38,0)) as customer_id,
    cast(company_name as varchar) as company_name,
    cast(country_code as varchar) as country_code,
    cast(segment as varchar) as segment,
    cast(email as varchar) as email,
    cast(created_at as timestamp_ntz) as created_at,
    cast(account_count as number(38,0)) as account_count,
    cast(active_account_count as number(38,0)) as active_account_count,
    cast(kyc_result as varchar) as kyc_result
from final
